/**
 * Decoding of AnnData HDF5 (`.h5ad`) elements from an open h5wasm file: the modern
 * encoding-type/encoding-version scheme (anndata ≥ 0.7.x) and the older 0.7 layout
 * (untagged groups, categorical columns stored as codes plus `__categories/<name>`,
 * `h5sparse_format` sparse groups).
 *
 * Node-only: float16 datasets are read as raw bytes through `h5-runtime.ts`.
 * @module
 */
import type { Dataset, Group } from "h5wasm";
import type { AnnData, NDArray, TypedArray, UnsValue } from "./anndata.js";
import { checkAnnData } from "./anndata.js";
import type { Categorical, Column, ColumnTable } from "./frame.js";
import { datasetBytes } from "./h5-runtime.js";
import { readStrings } from "./h5-strings.js";
import type { FloatArray, Matrix } from "./matrix.js";

/** HDF5 filters compiled into h5wasm (deflate, shuffle, fletcher32, nbit, scaleoffset). */
const BUILTIN_FILTERS = new Set([1, 2, 3, 5, 6]);

/** Attribute marking a uint8 dataset that stores booleans (h5wasm cannot write HDF5 enums). */
export const BOOL_MARKER = "scribe-dtype";

type Entity = Group | Dataset;

const isGroup = (e: unknown): e is Group => (e as { type?: string } | null)?.type === "Group";
const isDataset = (e: unknown): e is Dataset => (e as { type?: string } | null)?.type === "Dataset";

/** A string attribute, or `undefined` when absent. */
export function strAttr(e: Entity, name: string): string | undefined {
  const a = e.attrs[name];
  if (!a) return undefined;
  const v = a.value;
  return typeof v === "string"
    ? v
    : Array.isArray(v) && typeof v[0] === "string"
      ? (v[0] as string)
      : String(v);
}

function encodingType(e: Entity): string | undefined {
  return strAttr(e, "encoding-type");
}

function child(g: Group, name: string): Entity | null {
  if (!g.keys().includes(name)) return null;
  return g.get(name) as Entity | null;
}

/** IEEE half-precision bits to a number (exact: every float16 is a float32). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A float16 dataset (which h5wasm cannot decode) widened to float32. */
function float16Value(ds: Dataset): Float32Array {
  const md = ds.metadata as { total_size: number; littleEndian: boolean };
  const bytes = datasetBytes(ds.file_id, ds.path, md.total_size * 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(md.total_size);
  for (let i = 0; i < out.length; i++) out[i] = halfToNumber(view.getUint16(2 * i, md.littleEndian));
  return out;
}

/** Read a dataset's value, refusing filters h5wasm cannot decode (it would return garbage). */
function rawValue(ds: Dataset): unknown {
  for (const f of ds.filters) {
    if (!BUILTIN_FILTERS.has(f.id)) {
      throw new Error(
        `${ds.path}: compressed with HDF5 filter '${f.name}' (id ${f.id}), which this reader cannot decode; ` +
          `re-save the file without compression or with gzip`,
      );
    }
  }
  const md = ds.metadata as { type: number; size: number };
  if (md.type === 1 && md.size === 2) return float16Value(ds);
  // string arrays in bulk (h5wasm decodes them one by one); scalars stay with h5wasm
  if (md.type === 3 && (ds.shape?.length ?? 0) > 0) return readStrings(ds);
  return ds.value;
}

function isBoolDataset(ds: Dataset): boolean {
  const md = ds.metadata as { type: number; enum_type?: { members: Record<string, number> } };
  if (md.type === 8 && md.enum_type) {
    const m = md.enum_type.members;
    return Object.keys(m).length === 2 && m.FALSE === 0 && m.TRUE === 1;
  }
  return ds.attrs[BOOL_MARKER] !== undefined && strAttr(ds, BOOL_MARKER) === "bool";
}

/** Convert any numeric typed array to one of ours (int64 → float64, since JS numbers are doubles). */
function normalizeTyped(v: unknown, path: string): TypedArray {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float64Array.from(v, Number);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as TypedArray;
  if (typeof v === "number") return Float64Array.of(v);
  throw new Error(`${path}: expected a numeric array`);
}

function toFloat(v: unknown, path: string): FloatArray {
  const t = normalizeTyped(v, path);
  if (t instanceof Float32Array || t instanceof Float64Array) return t;
  return Float64Array.from(t as ArrayLike<number>);
}

function toInt32(v: unknown, path: string): Int32Array {
  const t = normalizeTyped(v, path);
  if (t instanceof Int32Array) return t;
  const out = new Int32Array(t.length);
  for (let k = 0; k < t.length; k++) {
    const x = t[k]!; // k < t.length
    if (!Number.isInteger(x) || x > 2147483647 || x < -2147483648)
      throw new Error(`${path}: index ${x} does not fit int32`);
    out[k] = x;
  }
  return out;
}

function toStrings(v: unknown, path: string): string[] {
  if (Array.isArray(v))
    return v.map((s) => (s instanceof Uint8Array ? new TextDecoder().decode(s) : String(s)));
  if (typeof v === "string") return [v];
  if (ArrayBuffer.isView(v)) return Array.from(normalizeTyped(v, path) as ArrayLike<number>, String);
  throw new Error(`${path}: expected strings`);
}

function shapeAttr(e: Entity, name: string): [number, number] | undefined {
  const a = e.attrs[name];
  if (!a) return undefined;
  const v = a.value as ArrayLike<number | bigint>;
  return [Number(v[0]), Number(v[1])];
}

/** Decode a matrix element: sparse group or 2-D dataset. */
export function readMatrix(e: Entity): Matrix {
  if (isGroup(e)) {
    const enc = encodingType(e) ?? strAttr(e, "h5sparse_format");
    const fmt =
      enc === "csr_matrix" || enc === "csr"
        ? "csr"
        : enc === "csc_matrix" || enc === "csc"
          ? "csc"
          : undefined;
    if (!fmt) throw new Error(`${e.path}: not a sparse matrix (encoding-type ${JSON.stringify(enc)})`);
    const shape = shapeAttr(e, "shape") ?? shapeAttr(e, "h5sparse_shape");
    if (!shape) throw new Error(`${e.path}: sparse matrix without a shape attribute`);
    const get = (k: string): Dataset => {
      const d = child(e, k);
      if (!isDataset(d)) throw new Error(`${e.path}: missing dataset '${k}'`);
      return d;
    };
    return {
      format: fmt,
      data: toFloat(rawValue(get("data")), `${e.path}/data`),
      indices: toInt32(rawValue(get("indices")), `${e.path}/indices`),
      indptr: toInt32(rawValue(get("indptr")), `${e.path}/indptr`),
      shape,
    };
  }
  const shape = e.shape ?? [];
  if (shape.length !== 2 && shape.length !== 1)
    throw new Error(`${e.path}: expected a 2-D array, got shape [${shape}]`);
  return {
    format: "dense",
    data: toFloat(rawValue(e), e.path),
    // shape has one or two entries (checked above)
    shape: [shape[0]!, shape.length === 2 ? shape[1]! : 1],
  };
}

function readCategorical(codesDs: Dataset, catsDs: Dataset, ordered: boolean): Categorical {
  const codes = toInt32(rawValue(codesDs), codesDs.path);
  return { kind: "categorical", codes, categories: toStrings(rawValue(catsDs), catsDs.path), ordered };
}

function truthy(e: Entity, name: string): boolean {
  const a = e.attrs[name];
  if (!a) return false;
  const v = a.value;
  return Boolean(
    typeof v === "bigint"
      ? v !== 0n
      : Array.isArray(v)
        ? v[0]
        : ArrayBuffer.isView(v)
          ? (v as Uint8Array)[0]
          : v,
  );
}

/** Decode one data-frame column (dataset, categorical group, or nullable group). */
function readColumn(frame: Group, name: string): Column {
  const e = child(frame, name);
  if (e === null) throw new Error(`${frame.path}: column '${name}' listed in column-order is missing`);
  if (isGroup(e)) {
    const enc = encodingType(e);
    if (enc === "categorical") {
      const codes = child(e, "codes");
      const cats = child(e, "categories");
      if (!isDataset(codes) || !isDataset(cats))
        throw new Error(`${e.path}: categorical without codes/categories`);
      return readCategorical(codes, cats, truthy(e, "ordered"));
    }
    if (enc === "nullable-integer" || enc === "nullable-boolean") {
      const vals = Array.from(
        normalizeTyped(rawValue(child(e, "values") as Dataset), e.path) as ArrayLike<number>,
      );
      const mask = Array.from(
        normalizeTyped(rawValue(child(e, "mask") as Dataset), e.path) as ArrayLike<number>,
      );
      return vals.map((v, i) => (mask[i] ? Number.NaN : v));
    }
    throw new Error(`${e.path}: unsupported data-frame column encoding ${JSON.stringify(enc)}`);
  }
  // anndata 0.7: categorical codes dataset with a 'categories' reference into __categories/<name>.
  if (e.attrs.categories !== undefined) {
    const store = child(frame, "__categories");
    const cats = isGroup(store) ? child(store, name) : null;
    if (!isDataset(cats))
      throw new Error(`${e.path}: categorical column without ${frame.path}/__categories/${name}`);
    return readCategorical(e, cats, truthy(cats, "ordered"));
  }
  const v = rawValue(e);
  if (Array.isArray(v) || typeof v === "string") return toStrings(v, e.path);
  const t = normalizeTyped(v, e.path);
  if (isBoolDataset(e)) return Array.from(t as ArrayLike<number>, (x) => x !== 0);
  return Array.from(t as ArrayLike<number>);
}

/** Decode a data frame group into a {@link ColumnTable}. */
export function readFrame(g: Group): ColumnTable {
  const indexName = strAttr(g, "_index") ?? "_index";
  const idx = child(g, indexName);
  if (!isDataset(idx)) throw new Error(`${g.path}: index dataset '${indexName}' not found`);
  const index = toStrings(rawValue(idx), idx.path);
  const orderAttr = g.attrs["column-order"]?.value;
  const order = Array.isArray(orderAttr)
    ? orderAttr.map(String)
    : typeof orderAttr === "string"
      ? [orderAttr]
      : g.keys().filter((k) => k !== indexName && k !== "__categories");
  const columns: Record<string, Column> = {};
  for (const name of order) columns[name] = readColumn(g, name);
  return { index, columns };
}

function readUnsDataset(ds: Dataset): UnsValue {
  const v = rawValue(ds);
  const shape = ds.shape ?? [];
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return toStrings(v, ds.path);
  const bool = isBoolDataset(ds);
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") {
    return bool ? Boolean(v) : Number(v);
  }
  const t = normalizeTyped(v, ds.path);
  if (bool) return Array.from(t as ArrayLike<number>, (x) => x !== 0);
  if (shape.length === 0) {
    const scalar = t[0];
    if (scalar === undefined) throw new Error(`${ds.path}: scalar dataset holds no value`);
    return scalar;
  }
  if (shape.length === 1) return t;
  const nd: NDArray = { kind: "ndarray", data: t, shape: [...shape] };
  return nd;
}

/** Decode a `dict` group (uns and nested dicts); unsupported members are skipped or thrown on. */
export function readDict(g: Group, strict: boolean): Record<string, UnsValue> {
  const out: Record<string, UnsValue> = {};
  for (const k of g.keys()) {
    const e = g.get(k) as Entity | null;
    try {
      if (isDataset(e)) out[k] = readUnsDataset(e);
      else if (isGroup(e)) {
        const enc = encodingType(e);
        if (enc === undefined || enc === "dict") out[k] = readDict(e, strict);
        else throw new Error(`${e.path}: unsupported element in uns (encoding-type ${enc})`);
      }
    } catch (err) {
      if (strict) throw err;
    }
  }
  return out;
}

function readMatrixDict(g: Entity | null, strict: boolean): Record<string, Matrix> {
  const out: Record<string, Matrix> = {};
  if (!isGroup(g)) return out;
  for (const k of g.keys()) {
    try {
      out[k] = readMatrix(g.get(k) as Entity);
    } catch (err) {
      if (strict) throw err;
    }
  }
  return out;
}

/** Where the AnnData's `X` comes from when decoding: the file's `X` (default), `.raw`, or a layer. */
export type XSource = "X" | "raw" | { layer: string };

/**
 * The file has no `X` (anndata allows that): {@link layers} and {@link raw} say what it has
 * instead, so callers can offer them.
 */
export class MissingXError extends Error {
  override name = "MissingXError";
  /**
   * @param layers names of the matrices under `layers`
   * @param raw `.raw`'s shape when the file has one
   */
  constructor(
    readonly layers: string[],
    readonly raw: { shape: [number, number] } | null,
  ) {
    const has = [
      layers.length ? `layers: ${layers.join(", ")}` : "no layers",
      raw ? `.raw (${raw.shape[0]} × ${raw.shape[1]})` : "no .raw",
    ];
    super(`no X matrix (${has.join("; ")})`);
  }
}

/** The shape of `raw/X` without reading its values, or null when there is no `.raw`. */
export function rawShape(root: Group): [number, number] | null {
  const raw = child(root, "raw");
  if (!isGroup(raw)) return null;
  const x = child(raw, "X");
  if (isGroup(x)) return shapeAttr(x, "shape") ?? shapeAttr(x, "h5sparse_shape") ?? null;
  if (isDataset(x) && x.shape?.length === 2) return [x.shape[0]!, x.shape[1]!];
  return null;
}

/**
 * Decode a whole AnnData from the root group of an open `.h5ad` file.
 * @param strict throw on elements that cannot be represented (default: skip them in
 *   `uns`/`obsm`/`varm`/`layers`; `X`, `obs`, `var` always throw).
 * @param xSource where `X` comes from: `"X"` (default; a file without `X` is a
 *   {@link MissingXError}), `"raw"` (`raw/X` with `raw/var` as `var`, as anndata's
 *   `raw.to_adata()`: layers and varm, which belong to the processed genes, are dropped), or a
 *   layer (which stays in `layers` too).
 */
export function decodeAnnData(root: Group, strict = false, xSource: XSource = "X"): AnnData {
  const enc = encodingType(root);
  if (enc !== undefined && enc !== "anndata")
    throw new Error(`root encoding-type is '${enc}', expected 'anndata'`);
  const obsEl = child(root, "obs");
  const varEl = child(root, "var");
  if (!isGroup(obsEl) || !isGroup(varEl)) {
    throw new Error(
      "obs/var are not data-frame groups (files from anndata < 0.7 store them as compound datasets; re-save with a newer anndata)",
    );
  }
  const layersEl = child(root, "layers");
  const layerNames = isGroup(layersEl) ? layersEl.keys() : [];
  const obs = readFrame(obsEl);
  let vr: ColumnTable;
  let X: Matrix;
  let layers: Record<string, Matrix>;
  let varm: Record<string, Matrix>;
  if (xSource === "raw") {
    const raw = child(root, "raw");
    const rawX = isGroup(raw) ? child(raw, "X") : null;
    const rawVar = isGroup(raw) ? child(raw, "var") : null;
    if (!rawX)
      throw new Error(
        `no .raw matrix (raw/X) in this file${layerNames.length ? `; layers: ${layerNames.join(", ")}` : ""}`,
      );
    if (!isGroup(rawVar)) throw new Error("raw/X has no raw/var data frame");
    X = readMatrix(rawX);
    vr = readFrame(rawVar);
    layers = {};
    varm = {};
  } else {
    vr = readFrame(varEl);
    layers = readMatrixDict(layersEl, strict);
    varm = readMatrixDict(child(root, "varm"), strict);
    if (xSource === "X") {
      const xEl = child(root, "X");
      if (!xEl) {
        const shape = rawShape(root);
        throw new MissingXError(layerNames, shape ? { shape } : null);
      }
      X = readMatrix(xEl);
    } else {
      const name = xSource.layer;
      if (!layerNames.includes(name))
        throw new Error(`no layer ${JSON.stringify(name)}; layers: ${layerNames.join(", ") || "(none)"}`);
      X = layers[name] ?? readMatrix(root.get(`layers/${name}`) as Entity);
      layers[name] = X;
    }
  }
  const unsEl = child(root, "uns");
  const obsm = readMatrixDict(child(root, "obsm"), strict);
  const adata: AnnData = {
    X,
    obs,
    var: vr,
    layers,
    uns: isGroup(unsEl) ? readDict(unsEl, strict) : {},
    ...(Object.keys(obsm).length ? { obsm } : {}),
    ...(Object.keys(varm).length ? { varm } : {}),
  };
  checkAnnData(adata);
  return adata;
}
