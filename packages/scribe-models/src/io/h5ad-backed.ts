/**
 * Out-of-core `.h5ad` access (issue 20 item 1): `openAnnData(path, { backed: true })` keeps
 * the file open and reads `X` in blocks of cells (rows) or genes (columns) through h5wasm
 * hyperslabs, never loading `X` whole. `obs` and `var` are read on first use (they are small
 * beside `X`, but a million cell names still grow h5wasm's heap, which never shrinks: a reader
 * of `X` alone, such as a backed fit's read-ahead worker, never reads them). Dense, CSR and CSC `X` of any integer or float dtype (float16 excepted).
 *
 * Cost of a block: rows of CSR and columns of CSC read only their slice of `data`/`indices`
 * (`indptr` is read once at open); rows and columns of dense `X` are one hyperslab each. The
 * other orientation of a sparse matrix (rows of CSC, columns of CSR) has to pass over the whole
 * matrix, in slices of `scanBytes`, per block: iterate the cheap orientation where the job
 * allows (a per-group sum does; see `pseudobulk/`).
 *
 * Node-only.
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Dataset, Group, File as H5File } from "h5wasm";
import type { ColumnTable } from "./frame.js";
import { h5 } from "./h5-runtime.js";
import { readFrame, strAttr } from "./h5ad-read.js";
import type { DenseMatrix, FloatArray, SparseMatrix } from "./matrix.js";

/** Options of {@link openAnnData}. */
export interface OpenAnnDataOptions {
  /** Keep `X` on disk and read it in blocks (the only mode so far; must be `true`). */
  backed: true;
  /** Bytes of `data` + `indices` read per slice when a sparse matrix is scanned across (default 64 MiB). */
  scanBytes?: number;
}

/** A block of `X`: rows `[start, end)` (cells) or columns `[start, end)` (genes). */
export interface XBlock {
  readonly start: number;
  readonly end: number;
  /** Cells × genes of the block: CSR for row blocks of sparse `X`, CSC for column blocks, else dense. */
  readonly X: SparseMatrix | DenseMatrix;
}

/** An `.h5ad` file opened with `X` left on disk. Close it when done. */
export interface BackedAnnData {
  /** The file's path. */
  readonly path: string;
  /** `[cells, genes]`. */
  readonly shape: readonly [number, number];
  /** How `X` is stored. */
  readonly format: "dense" | "csr" | "csc";
  /** Sparse `X`: its pointer array (over rows for CSR, columns for CSC), read at open; `null` for dense. */
  readonly indptr: Int32Array | null;
  /** Per-cell table (read on first use, while the file is open). */
  readonly obs: ColumnTable;
  /** Per-gene table (read on first use, while the file is open). */
  readonly var: ColumnTable;
  /** Cells `[start, end)`, all genes: CSR for sparse `X`, dense otherwise. */
  readRows(start: number, end: number): SparseMatrix | DenseMatrix;
  /** Genes `[start, end)`, all cells: CSC for sparse `X`, dense otherwise. */
  readCols(start: number, end: number): SparseMatrix | DenseMatrix;
  /** Consecutive blocks of `size` cells, in order. */
  cellBlocks(size: number): Generator<XBlock>;
  /** Consecutive blocks of `size` genes, in order. */
  geneBlocks(size: number): Generator<XBlock>;
  /** Close the file; later reads throw. */
  close(): void;
}

const isGroup = (e: unknown): e is Group => (e as { type?: string } | null)?.type === "Group";
const isDataset = (e: unknown): e is Dataset => (e as { type?: string } | null)?.type === "Dataset";

/** A numeric hyperslab result as float (float32 kept, everything else float64). */
function asFloat(v: unknown, what: string): FloatArray {
  if (v instanceof Float32Array || v instanceof Float64Array) return v;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float64Array.from(v, Number);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView))
    return Float64Array.from(v as unknown as ArrayLike<number>);
  throw new Error(`${what}: expected a numeric array`);
}

/** A numeric hyperslab result as int32, refusing values outside int32. */
function asInt32(v: unknown, what: string): Int32Array {
  if (v instanceof Int32Array) return v;
  const src =
    v instanceof BigInt64Array || v instanceof BigUint64Array
      ? Float64Array.from(v, Number)
      : (v as ArrayLike<number>);
  if (!ArrayBuffer.isView(src) && !Array.isArray(src)) throw new Error(`${what}: expected an integer array`);
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!; // i < src.length
    if (!Number.isInteger(x) || x > 2147483647 || x < -2147483648)
      throw new Error(`${what}: value ${x} at ${i} does not fit int32`);
    out[i] = x;
  }
  return out;
}

function checkDtype(ds: Dataset): void {
  const md = ds.metadata as { type: number; size: number };
  if (md.type === 1 && md.size === 2)
    throw new Error(`${ds.path}: float16 X cannot be read in blocks; read the file whole (readH5ad)`);
  if (md.type !== 0 && md.type !== 1)
    throw new Error(`${ds.path}: X holds no numbers (HDF5 type class ${md.type})`);
}

function checkRange(start: number, end: number, n: number, what: string): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end)
    throw new Error(`${what} [${start}, ${end}) is outside [0, ${n})`);
}

/**
 * Open an `.h5ad` file with `X` left on disk ({@link BackedAnnData}). Errors name the file and
 * what is wrong (no `X`, an unsupported encoding, float16).
 * @example
 * ```ts
 * const ad = await openAnnData("atlas.h5ad", { backed: true });
 * try {
 *   for (const { start, X } of ad.cellBlocks(10_000)) console.log(start, X.shape);
 * } finally {
 *   ad.close();
 * }
 * ```
 */
export async function openAnnData(path: string, options: OpenAnnDataOptions): Promise<BackedAnnData> {
  if (options?.backed !== true)
    throw new Error("openAnnData: only { backed: true } is supported; use readH5ad");
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`openAnnData: no such file ${full}`);
  const lib = await h5();
  const file: H5File = new lib.File(full, "r");
  try {
    return openBacked(file, full, options.scanBytes ?? 64 * 2 ** 20);
  } catch (err) {
    file.close();
    throw new Error(`openAnnData: ${full}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

function openBacked(file: H5File, full: string, scanBytes: number): BackedAnnData {
  const keys = file.keys();
  if (!keys.includes("X")) throw new Error("no X matrix");
  const obsEl = keys.includes("obs") ? file.get("obs") : null;
  const varEl = keys.includes("var") ? file.get("var") : null;
  if (!isGroup(obsEl) || !isGroup(varEl)) throw new Error("obs/var are not data-frame groups");
  let obs: ColumnTable | undefined;
  let vr: ColumnTable | undefined;
  const xEl = file.get("X");
  let closed = false;
  const alive = () => {
    if (closed) throw new Error(`openAnnData: ${full} is closed`);
  };
  /** A table read on first use; its errors name the file as errors at open do. */
  const frame = (el: Group, what: string): ColumnTable => {
    alive();
    try {
      return readFrame(el);
    } catch (err) {
      throw new Error(`openAnnData: ${full}: ${what}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  };
  const blocks = (n: number, size: number, read: (a: number, b: number) => SparseMatrix | DenseMatrix) => {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`block size must be a positive integer, got ${size}`);
    return (function* () {
      for (let a = 0; a < n; a += size) {
        const b = Math.min(n, a + size);
        yield { start: a, end: b, X: read(a, b) };
      }
    })();
  };
  let base: Omit<BackedAnnData, "cellBlocks" | "geneBlocks" | "close" | "path" | "obs" | "var">;
  if (isDataset(xEl)) {
    checkDtype(xEl);
    const shape = xEl.shape ?? [];
    if (shape.length !== 2) throw new Error(`X: expected a 2-D array, got shape [${shape}]`);
    const [C, G] = [shape[0]!, shape[1]!]; // length 2 checked
    base = {
      shape: [C, G],
      format: "dense",
      indptr: null,
      readRows(a, b) {
        alive();
        checkRange(a, b, C, "cells");
        const data = b > a ? asFloat(xEl.slice([[a, b], []]), "X") : new Float32Array(0);
        return { format: "dense", data, shape: [b - a, G] };
      },
      readCols(a, b) {
        alive();
        checkRange(a, b, G, "genes");
        const data = b > a ? asFloat(xEl.slice([[], [a, b]]), "X") : new Float32Array(0);
        return { format: "dense", data, shape: [C, b - a] };
      },
    };
  } else if (isGroup(xEl)) {
    const enc = strAttr(xEl, "encoding-type") ?? strAttr(xEl, "h5sparse_format");
    const fmt =
      enc === "csr_matrix" || enc === "csr" ? "csr" : enc === "csc_matrix" || enc === "csc" ? "csc" : null;
    if (!fmt) throw new Error(`X: not a sparse matrix (encoding-type ${JSON.stringify(enc)})`);
    const shapeAttr = (xEl.attrs.shape ?? xEl.attrs.h5sparse_shape)?.value as
      | ArrayLike<number | bigint>
      | undefined;
    if (!shapeAttr) throw new Error("X: sparse matrix without a shape attribute");
    const C = Number(shapeAttr[0]);
    const G = Number(shapeAttr[1]);
    const part = (k: string): Dataset => {
      const d = xEl.keys().includes(k) ? xEl.get(k) : null;
      if (!isDataset(d)) throw new Error(`X: missing dataset '${k}'`);
      return d;
    };
    const dataDs = part("data");
    const indicesDs = part("indices");
    checkDtype(dataDs);
    const indptr = asInt32(part("indptr").value, "X/indptr");
    const major = fmt === "csr" ? C : G;
    if (indptr.length !== major + 1)
      throw new Error(`X/indptr has ${indptr.length} entries, expected ${major + 1}`);
    /** Entries [p, q) of data and indices. */
    const entries = (p: number, q: number): { data: FloatArray; indices: Int32Array } =>
      q > p
        ? {
            data: asFloat(dataDs.slice([[p, q]]), "X/data"),
            indices: asInt32(indicesDs.slice([[p, q]]), "X/indices"),
          }
        : { data: new Float32Array(0), indices: new Int32Array(0) };
    /** Major slices [a, b) in the stored orientation. */
    const majorSlice = (a: number, b: number): SparseMatrix => {
      const p = indptr[a]!; // a ≤ major (checked by the callers)
      const q = indptr[b]!;
      const { data, indices } = entries(p, q);
      const ip = new Int32Array(b - a + 1);
      for (let i = a; i <= b; i++) ip[i - a] = indptr[i]! - p;
      return { format: fmt, data, indices, indptr: ip, shape: fmt === "csr" ? [b - a, G] : [C, b - a] };
    };
    /** Minor slices [a, b): a pass over the whole matrix in slices, keeping entries with index in [a, b). */
    const minorSlice = (a: number, b: number): SparseMatrix => {
      const counts = new Int32Array(b - a + 1);
      const kept: { major: number; minor: number; value: number }[] = [];
      const perEntry =
        (dataDs.metadata as { size: number }).size + (indicesDs.metadata as { size: number }).size;
      const step = Math.max(1, Math.floor(scanBytes / perEntry));
      const nnz = indptr[major]!;
      let row = 0;
      for (let p = 0; p < nnz; p += step) {
        const q = Math.min(nnz, p + step);
        const { data, indices } = entries(p, q);
        for (let k = p; k < q; k++) {
          while (indptr[row + 1]! <= k) row++;
          const j = indices[k - p]!;
          if (j >= a && j < b) {
            kept.push({ major: row, minor: j, value: data[k - p]! });
            counts[j - a + 1]!++;
          }
        }
      }
      for (let j = 0; j < b - a; j++) counts[j + 1]! += counts[j]!;
      const data = new Float64Array(kept.length);
      const indices = new Int32Array(kept.length);
      const fill = counts.slice(0, b - a);
      // kept is in major order, so each minor slice gets its indices sorted
      for (const e of kept) {
        const at = fill[e.minor - a]!++;
        data[at] = e.value;
        indices[at] = e.major;
      }
      const other = fmt === "csr" ? "csc" : "csr";
      return {
        format: other,
        data,
        indices,
        indptr: counts,
        shape: fmt === "csr" ? [C, b - a] : [b - a, G],
      };
    };
    base = {
      shape: [C, G],
      format: fmt,
      indptr,
      readRows(a, b) {
        alive();
        checkRange(a, b, C, "cells");
        return fmt === "csr" ? majorSlice(a, b) : minorSlice(a, b);
      },
      readCols(a, b) {
        alive();
        checkRange(a, b, G, "genes");
        return fmt === "csc" ? majorSlice(a, b) : minorSlice(a, b);
      },
    };
  } else throw new Error("X is neither a dataset nor a sparse group");
  return {
    ...base,
    path: full,
    get obs() {
      obs ??= frame(obsEl, "obs");
      return obs;
    },
    get var() {
      vr ??= frame(varEl, "var");
      return vr;
    },
    cellBlocks: (size) => blocks(base.shape[0], size, base.readRows),
    geneBlocks: (size) => blocks(base.shape[1], size, base.readCols),
    close() {
      if (closed) return;
      closed = true;
      file.close();
    },
  };
}
