/**
 * Rows of a backed `.h5ad` `X` by index (a minibatch of cells), as dense float32 in the order
 * asked: the one reader of minibatch rows, used by the fit's main thread and by its read-ahead
 * worker (`backed-rows-node-worker.ts`). Node-only.
 * @module
 */
import type { BackedAnnData } from "./h5ad-backed.js";
import { type DenseMatrix, type SparseMatrix, toDense } from "./matrix.js";

/** Largest read of one merged slab, in stored values (8 MiB of float32): memory stays bounded. */
const MAX_SLAB_VALUES = 2 ** 21;

/** How many minibatches, rows and hyperslab reads a reader has done. */
export interface RowReads {
  batches: number;
  rows: number;
  slabs: number;
}

/** A row block as dense float32 (the in-memory path's `toDense(X, "float32")` of those rows). */
export function denseRows(m: SparseMatrix | DenseMatrix): Float32Array {
  return toDense(m, "float32").data as Float32Array;
}

/**
 * Rows `idx` (distinct, any order) of `ad`'s `X` as dense float32 `[idx.length, genes]`, in the
 * order of `idx`, written into `out` when given. Rows whose gap in the file is at most
 * `mergeGap` stored values share one hyperslab read (dense: whole rows between; CSR: entries),
 * up to {@link MAX_SLAB_VALUES} values per read.
 */
export function readRowsDense(
  ad: BackedAnnData,
  idx: Int32Array,
  mergeGap: number,
  reads: RowReads,
  out?: Float32Array,
): Float32Array {
  const G = ad.shape[1];
  const order = Array.from(idx.keys()).sort((a, b) => idx[a]! - idx[b]!);
  const dst = out ? out.fill(0) : new Float32Array(idx.length * G);
  const ptr = ad.indptr;
  const gapOf = (a: number, b: number) => (ptr ? ptr[b]! - ptr[a + 1]! : (b - a - 1) * G);
  const spanOf = (a: number, b: number) => (ptr ? ptr[b + 1]! - ptr[a]! : (b - a + 1) * G);
  let k = 0;
  while (k < order.length) {
    const first = idx[order[k]!]!; // k < order.length
    let last = first;
    let m = k + 1;
    while (
      m < order.length &&
      gapOf(last, idx[order[m]!]!) <= mergeGap &&
      spanOf(first, idx[order[m]!]!) <= MAX_SLAB_VALUES
    )
      last = idx[order[m++]!]!;
    // only the asked rows are densified: a merged slab may span many rows in between
    const slab = ad.readRows(first, last + 1);
    reads.slabs++;
    for (let j = k; j < m; j++) {
      const at = order[j]!; // j < m ≤ order.length
      const r = idx[at]! - first;
      if (slab.format === "dense") dst.set(slab.data.subarray(r * G, (r + 1) * G), at * G);
      else {
        // CSR row r, summed into float32 as toDense(X, "float32") does (duplicates add up)
        const base = at * G;
        for (let q = slab.indptr[r]!; q < slab.indptr[r + 1]!; q++)
          dst[base + slab.indices[q]!]! += slab.data[q]!;
      }
    }
    k = m;
  }
  reads.batches++;
  reads.rows += idx.length;
  return dst;
}
