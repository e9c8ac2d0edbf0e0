/**
 * Encoding of an {@link AnnData} into an open h5wasm file following the AnnData on-disk
 * specification (encoding-type / encoding-version attributes on every element).
 *
 * Node-only: string arrays go through `h5-strings.ts` (the live h5wasm instance).
 * @module
 */
import type { Group } from "h5wasm";
import type { AnnData, NDArray, TypedArray, UnsValue } from "./anndata.js";
import type { Categorical, Column, ColumnTable } from "./frame.js";
import { isCategorical } from "./frame.js";
import { boolPlaceholder, PLACEHOLDER_BYTES } from "./h5-boolattr.js";
import { writeStrings as writeStringDataset } from "./h5-strings.js";
import { BOOL_MARKER } from "./h5ad-read.js";
import type { Matrix } from "./matrix.js";

/** Options for encoding. */
export interface EncodeOptions {
  /** gzip level (1–9) for numeric arrays; omitted or 0 for no compression. */
  compression?: number;
  /**
   * Receives the paths of objects whose `ordered` attribute was written as a boolean
   * placeholder (see `h5-boolattr.ts`); the caller must patch or replace them.
   */
  boolAttrPaths?: string[];
  /** Write no `X` (see `WriteH5adOptions.omitX`). */
  omitX?: boolean;
}

function tag(
  g: Group | { create_attribute: Group["create_attribute"] },
  type: string,
  version: string,
): void {
  g.create_attribute("encoding-type", type);
  g.create_attribute("encoding-version", version);
}

function dtypeOf(a: TypedArray): string {
  if (a instanceof Float32Array) return "<f";
  if (a instanceof Float64Array) return "<d";
  if (a instanceof Int32Array) return "<i";
  if (a instanceof Uint32Array) return "<I";
  if (a instanceof Int16Array) return "<h";
  if (a instanceof Uint16Array) return "<H";
  if (a instanceof Int8Array) return "<b";
  return "<B";
}

function writeNumeric(
  g: Group,
  name: string,
  data: TypedArray | BigInt64Array,
  shape: number[],
  opts: EncodeOptions,
) {
  const n = data.length;
  const level = opts.compression ?? 0;
  const dtype = data instanceof BigInt64Array ? "<q" : dtypeOf(data);
  if (level > 0 && n > 0) {
    const rowLen = shape.slice(1).reduce((a, b) => a * b, 1);
    const rows = Math.max(1, Math.min(shape[0] ?? 1, Math.floor(262144 / Math.max(1, rowLen))));
    const chunks = [rows, ...shape.slice(1)];
    return g.create_dataset({ name, data, shape, dtype, chunks, compression: level });
  }
  return g.create_dataset({ name, data, shape, dtype });
}

function writeStrings(g: Group, name: string, values: readonly string[]): void {
  tag(writeStringDataset(g, name, values), "string-array", "0.2.0");
}

function writeArray(
  g: Group,
  name: string,
  data: TypedArray | BigInt64Array,
  shape: number[],
  opts: EncodeOptions,
) {
  const ds = writeNumeric(g, name, data, shape, opts);
  tag(ds, "array", "0.2.0");
  return ds;
}

function writeBools(g: Group, name: string, values: readonly boolean[], opts: EncodeOptions): void {
  const ds = writeArray(
    g,
    name,
    Uint8Array.from(values, (b) => (b ? 1 : 0)),
    [values.length],
    opts,
  );
  ds.create_attribute(BOOL_MARKER, "bool");
}

/** Numbers that are all safe integers go to int64 (as pandas would keep them), others to float64. */
function numberArray(values: readonly number[]): TypedArray | BigInt64Array {
  if (values.length > 0 && values.every((v) => Number.isSafeInteger(v)))
    return BigInt64Array.from(values, (v) => BigInt(v));
  return Float64Array.from(values);
}

/** Encode a matrix (dense 2-D array or CSR/CSC group) under `name`. */
export function writeMatrix(g: Group, name: string, m: Matrix, opts: EncodeOptions): void {
  if (m.format === "dense") {
    writeArray(g, name, m.data, [m.shape[0], m.shape[1]], opts);
    return;
  }
  const sg = g.create_group(name);
  tag(sg, m.format === "csr" ? "csr_matrix" : "csc_matrix", "0.1.0");
  sg.create_attribute(
    "shape",
    BigInt64Array.from(m.shape, (v) => BigInt(v)),
  );
  const nnz = m.indptr[m.indptr.length - 1] ?? 0;
  writeNumeric(sg, "data", m.data.subarray(0, nnz), [nnz], opts);
  writeNumeric(sg, "indices", m.indices.subarray(0, nnz), [nnz], opts);
  writeNumeric(sg, "indptr", m.indptr, [m.indptr.length], opts);
}

function codesArray(c: Categorical): TypedArray {
  const n = c.categories.length;
  if (n < 128) return Int8Array.from(c.codes);
  if (n < 32768) return Int16Array.from(c.codes);
  return Int32Array.from(c.codes);
}

function writeColumn(g: Group, name: string, col: Column, path: string, opts: EncodeOptions): void {
  if (isCategorical(col)) {
    const cg = g.create_group(name);
    tag(cg, "categorical", "0.2.0");
    cg.create_attribute("ordered", boolPlaceholder(col.ordered ?? false), null, `S${PLACEHOLDER_BYTES}`);
    opts.boolAttrPaths?.push(cg.path);
    writeStrings(cg, "categories", col.categories);
    writeArray(cg, "codes", codesArray(col), [col.codes.length], opts);
    return;
  }
  if (col.length === 0) {
    writeArray(g, name, new Float64Array(0), [0], opts);
    return;
  }
  const kind = typeof col[0];
  if (!(col as unknown[]).every((v) => typeof v === kind)) {
    throw new Error(`cannot encode ${path}: column mixes value types (first value is a ${kind})`);
  }
  if (kind === "string") writeStrings(g, name, col as string[]);
  else if (kind === "number") writeArray(g, name, numberArray(col as number[]), [col.length], opts);
  else if (kind === "boolean") writeBools(g, name, col as boolean[], opts);
  else throw new Error(`cannot encode ${path}: unsupported column value type ${kind}`);
}

/** Encode a {@link ColumnTable} as a `dataframe` group. */
export function writeFrame(g: Group, name: string, t: ColumnTable, opts: EncodeOptions): void {
  const fg = g.create_group(name);
  tag(fg, "dataframe", "0.2.0");
  const names = Object.keys(t.columns);
  if (names.includes("_index")) throw new Error(`cannot encode ${name}: a column may not be named '_index'`);
  fg.create_attribute("_index", "_index");
  if (names.length) fg.create_attribute("column-order", names);
  else fg.create_attribute("column-order", new Float64Array(0));
  writeStrings(fg, "_index", t.index);
  // names are t.columns' own keys, so every lookup is defined.
  for (const c of names) writeColumn(fg, c, t.columns[c]!, `${name}/${c}`, opts);
}

function isTyped(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function isNDArray(v: unknown): v is NDArray {
  return (
    typeof v === "object" && v !== null && (v as NDArray).kind === "ndarray" && isTyped((v as NDArray).data)
  );
}

function writeUnsValue(g: Group, name: string, v: UnsValue, path: string, opts: EncodeOptions): void {
  if (typeof v === "string") {
    tag(g.create_dataset({ name, data: v, dtype: "S" }), "string", "0.2.0");
  } else if (typeof v === "number") {
    const ds = Number.isSafeInteger(v)
      ? g.create_dataset({ name, data: BigInt64Array.of(BigInt(v)), shape: [], dtype: "<q" })
      : g.create_dataset({ name, data: v, shape: [], dtype: "<d" });
    tag(ds, "numeric-scalar", "0.2.0");
  } else if (typeof v === "boolean") {
    const ds = g.create_dataset({ name, data: Uint8Array.of(v ? 1 : 0), shape: [], dtype: "<B" });
    tag(ds, "numeric-scalar", "0.2.0");
    ds.create_attribute(BOOL_MARKER, "bool");
  } else if (isTyped(v)) {
    writeArray(g, name, v, [v.length], opts);
  } else if (isNDArray(v)) {
    const size = v.shape.reduce((a, b) => a * b, 1);
    if (size !== v.data.length)
      throw new Error(
        `cannot encode ${path}: ndarray shape [${v.shape}] does not match ${v.data.length} values`,
      );
    writeArray(g, name, v.data, v.shape, opts);
  } else if (Array.isArray(v)) {
    const kinds = new Set(v.map((x) => typeof x));
    if (v.length === 0 || (kinds.size === 1 && kinds.has("number")))
      writeArray(g, name, Float64Array.from(v as number[]), [v.length], opts);
    else if (kinds.size === 1 && kinds.has("string")) writeStrings(g, name, v as string[]);
    else if (kinds.size === 1 && kinds.has("boolean")) writeBools(g, name, v as boolean[], opts);
    else
      throw new Error(`cannot encode ${path}: arrays must hold only numbers, only strings or only booleans`);
  } else if (typeof v === "object" && v !== null) {
    writeDict(g, name, v as Record<string, UnsValue>, path, opts);
  } else {
    throw new Error(`cannot encode ${path}: unsupported value ${v === null ? "null" : typeof v}`);
  }
}

/** Encode a nested record as `dict` groups. */
export function writeDict(
  g: Group,
  name: string,
  rec: Record<string, UnsValue>,
  path: string,
  opts: EncodeOptions,
): void {
  const dg = g.create_group(name);
  tag(dg, "dict", "0.1.0");
  for (const [k, v] of Object.entries(rec)) {
    if (k.includes("/")) throw new Error(`cannot encode ${path}/${k}: key contains '/'`);
    writeUnsValue(dg, k, v, `${path}/${k}`, opts);
  }
}

function writeMatrixDict(
  g: Group,
  name: string,
  rec: Record<string, Matrix> | undefined,
  opts: EncodeOptions,
): void {
  const dg = g.create_group(name);
  tag(dg, "dict", "0.1.0");
  for (const [k, m] of Object.entries(rec ?? {})) writeMatrix(dg, k, m, opts);
}

/** Encode a whole AnnData into the root group of a freshly created file. */
export function encodeAnnData(root: Group, adata: AnnData, opts: EncodeOptions = {}): void {
  tag(root, "anndata", "0.1.0");
  if (!opts.omitX) writeMatrix(root, "X", adata.X, opts);
  writeFrame(root, "obs", adata.obs, opts);
  writeFrame(root, "var", adata.var, opts);
  writeMatrixDict(root, "layers", adata.layers, opts);
  writeMatrixDict(root, "obsm", adata.obsm, opts);
  writeMatrixDict(root, "varm", adata.varm, opts);
  writeMatrixDict(root, "obsp", undefined, opts);
  writeMatrixDict(root, "varp", undefined, opts);
  writeDict(root, "uns", adata.uns, "uns", opts);
}
