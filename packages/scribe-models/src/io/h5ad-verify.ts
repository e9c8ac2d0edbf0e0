/**
 * The read-back check of `writeH5ad`: after the temporary file is closed it is re-opened and
 * the parts that carry the data are compared with what was meant to be written, as stored
 * bytes: `X` (every value, and the sparse index arrays), the `obs` and `var` indexes, the
 * column lists of both frames and the keys of `layers` and `uns`. Decoding the whole file
 * again (every column, layer and `uns` value) cost more than the encoding itself; this check
 * reads only those elements and compares typed arrays with one `memcmp` each.
 *
 * Node-only (h5wasm's live instance, `Buffer`).
 * @module
 */
import { Buffer } from "node:buffer";
import type { Dataset, Group } from "h5wasm";
import type { AnnData } from "./anndata.js";
import type { ColumnTable } from "./frame.js";
import { datasetBytes } from "./h5-runtime.js";
import { readStrings } from "./h5-strings.js";
import { strAttr } from "./h5ad-read.js";
import type { Matrix } from "./matrix.js";

const isGroup = (e: unknown): e is Group => (e as { type?: string } | null)?.type === "Group";
const isDataset = (e: unknown): e is Dataset => (e as { type?: string } | null)?.type === "Dataset";

function member(g: Group, name: string): Group | Dataset | null {
  return g.keys().includes(name) ? (g.get(name) as Group | Dataset | null) : null;
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return (
    a.byteLength === b.byteLength &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  );
}

/** Whether dataset `path` (a 1- or 2-D array of `shape`) stores exactly the bytes of `values`. */
function sameDataset(root: Group, path: string, values: ArrayBufferView, shape: readonly number[]): boolean {
  const ds = root.get(path);
  if (!isDataset(ds)) return false;
  const stored = ds.shape ?? [];
  if (stored.length !== shape.length || stored.some((n, i) => n !== shape[i])) return false;
  const md = ds.metadata as { size: number };
  const n = shape.reduce((a, b) => a * b, 1);
  if (md.size * n !== values.byteLength) return false;
  if (n === 0) return true;
  return sameBytes(datasetBytes(ds.file_id, ds.path, values.byteLength), values);
}

function sameMatrix(root: Group, path: string, m: Matrix): boolean {
  if (m.format === "dense") return sameDataset(root, path, m.data, m.shape);
  const g = root.get(path);
  if (!isGroup(g) || strAttr(g, "encoding-type") !== `${m.format}_matrix`) return false;
  const shape = g.attrs.shape?.value as ArrayLike<bigint | number> | undefined;
  if (!shape || Number(shape[0]) !== m.shape[0] || Number(shape[1]) !== m.shape[1]) return false;
  const nnz = m.indptr[m.indptr.length - 1] ?? 0;
  return (
    sameDataset(root, `${path}/indptr`, m.indptr, [m.indptr.length]) &&
    sameDataset(root, `${path}/indices`, m.indices.subarray(0, nnz), [nnz]) &&
    sameDataset(root, `${path}/data`, m.data.subarray(0, nnz), [nnz])
  );
}

const sameList = (x: readonly string[], y: readonly string[]) =>
  x.length === y.length && x.every((v, i) => v === y[i]);

/** The frame's index strings and column list (`column-order`, and a member per column). */
function sameFrame(root: Group, name: string, t: ColumnTable): boolean {
  const g = member(root, name);
  if (!isGroup(g)) return false;
  const idx = member(g, "_index");
  if (!isDataset(idx)) return false;
  const index = readStrings(idx);
  if (!index || !sameList(index, t.index)) return false;
  const columns = Object.keys(t.columns);
  const order = g.attrs["column-order"]?.value;
  const listed = Array.isArray(order) ? order.map(String) : typeof order === "string" ? [order] : [];
  if (!sameList(listed, columns)) return false;
  // HDF5 lists group members by name, not in insertion order
  return sameList(g.keys().sort(), ["_index", ...columns].sort());
}

function sameKeys(root: Group, name: string, rec: object): boolean {
  const g = member(root, name);
  return isGroup(g) && sameList(g.keys().sort(), Object.keys(rec).sort());
}

/**
 * Throw when the file whose root is `root` does not hold `adata`'s `X` (or, with `omitX`, holds
 * an `X`), indexes, frame columns and `layers`/`uns` keys (the message names the parts that differ).
 */
export function checkWritten(root: Group, adata: AnnData, omitX = false): void {
  const diff: string[] = [];
  if (omitX ? member(root, "X") !== null : !sameMatrix(root, "X", adata.X)) diff.push("X");
  if (!sameFrame(root, "obs", adata.obs)) diff.push("obs");
  if (!sameFrame(root, "var", adata.var)) diff.push("var");
  if (!sameKeys(root, "layers", adata.layers)) diff.push("layers");
  if (!sameKeys(root, "uns", adata.uns)) diff.push("uns");
  if (diff.length) throw new Error(`the file read back differs from what was written (${diff.join(", ")})`);
}
