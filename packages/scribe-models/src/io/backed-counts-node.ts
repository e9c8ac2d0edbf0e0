/**
 * Counts streamed from an `.h5ad` file for minibatch SVI (`fit(path, { backed: true })`,
 * `scribe fit --backed`; issue 20 item 1). The model and the guide receive a stand-in for the
 * counts matrix that answers only what a minibatch step asks of it:
 *
 * - `counts.index(idx)` inside the `cells` plate: the rows `idx` of `X`, read from disk when
 *   the plate draws them (in the guide, or in the model when the guide has no per-cell site;
 *   the other one replays the same indices tensor). Model and guide are wrapped by
 *   {@link BackedCounts.wrap}: after the `seed` handler has given the plate its key, the wrapper
 *   draws the same indices on the host (`choiceIndices`, the function behind the plate's own
 *   draw) and reads those rows, so the minibatch sequence, and every value the step sees,
 *   equals the in-memory run's.
 * - `counts.sum(-1)`: the library sizes of all cells, computed once, in the one streaming pass
 *   over the file at open (the same float32 row sums as the in-memory matrix gives). The same
 *   pass sums each gene over the cells ({@link BackedCounts.geneSums}, for `expressionAnchor`).
 *
 * Anything else the stand-in is asked throws an error saying it needs the whole matrix.
 * Only `X` stored dense or CSR is accepted: rows of a CSC matrix would cost a pass over the
 * whole file per minibatch.
 *
 * Node-only (h5wasm on the file system).
 * @module
 */
import {
  choiceIndices,
  fromTypedArray,
  type Key,
  type Message,
  Messenger,
  type Tensor,
  wrapWith,
} from "@scribe/core";
import { PlateKeyPlan, RowPrefetcher } from "./backed-prefetch-node.js";
import { denseRows, type RowReads, readRowsDense } from "./backed-rows-node.js";
import type { ColumnTable } from "./frame.js";
import { type BackedAnnData, openAnnData } from "./h5ad-backed.js";

/** Options of {@link openBackedCounts}. */
export interface OpenBackedCountsOptions {
  /** Cells per block of the streaming pass at open (default: 2^21 values per block, 8 MiB as float32). */
  chunkCells?: number;
  /**
   * Rows whose gap in the file is at most this many stored values are read in one hyperslab
   * (default 32,768: a read costs about as much as passing over that many values): scattered
   * minibatch rows cost one read each, neighbours share one.
   */
  mergeGap?: number;
  /** Cells per minibatch (sizes the read-ahead slots; without it there is no read-ahead). */
  batchSize?: number;
  /** Minibatches read ahead by a worker thread (default 2; 0: none). */
  readAhead?: number;
}

/** What the streaming pass at open computed (for the fit's checkpoint fingerprint). */
export interface BackedCountsStats {
  /** Sum of all counts (float64). */
  sum: number;
  /** Σ x_i · ((i mod 9973) + 1) over the row-major index i (float64), as `fit` fingerprints in-memory counts. */
  weighted: number;
}

/** Counts of an `.h5ad` file read per minibatch; close it when the fit is done. */
export interface BackedCounts {
  /** Tag for `fit` (the source is not a tensor or an AnnData). */
  readonly kind: "backed-counts";
  /** The file. */
  readonly path: string;
  /** `[cells, genes]`. */
  readonly shape: readonly [number, number];
  /** How `X` is stored. */
  readonly format: "dense" | "csr";
  /** Cell names (obs index). */
  readonly obsNames: string[];
  /** Gene names (var index). */
  readonly varNames: string[];
  /** The cells' table (read at open): the columns of `annotationKey` and `datasetKey`. */
  readonly obs: ColumnTable;
  /** The streaming pass's totals. */
  readonly stats: BackedCountsStats;
  /** Each gene's sum over the cells (float64, cell after cell, as the in-memory anchor sums), [G]. */
  readonly geneSums: Float64Array;
  /** Each cell's total count (float32 row sums, exact for integer totals up to 2^24), [C]. */
  readonly librarySizes: Float32Array;
  /** The stand-in counts matrix to pass to the model and the guide (see the module doc). */
  readonly counts: Tensor;
  /**
   * The model or the guide, wrapped so that a `cells` plate drawing its minibatch there has the
   * rows read from the file (the guide draws it when it has per-cell sites, else the model).
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /**
   * Minibatches read on the fit's thread so far (rows, hyperslab reads), steps whose minibatch
   * was predicted from the run's keys, and minibatches that came from the read-ahead worker.
   */
  readonly reads: RowReads & { predicted: number; prefetched: number };
  /**
   * Predict the minibatches of the SVI run about to start (`runKey`: the key given to
   * `SVI.run`, or the resumed state's key), so the read-ahead can fetch them before they are
   * drawn. Without it every minibatch is read when drawn; the results are the same.
   */
  planRun(runKey: Key, resumed: boolean): void;
  /** Close the file. */
  close(): void;
}

const FINGERPRINT_PERIOD = 9973;

/**
 * Open `path` for a backed fit: checks the storage (dense or CSR `X`), then streams the cells
 * once in blocks to validate the counts (finite non-negative integers; an error names the
 * file, cell and gene), total them for the fingerprint and compute the library sizes.
 * @example
 * ```ts
 * const src = await openBackedCounts("atlas.h5ad");
 * try {
 *   const { results } = await fit("atlas.h5ad", { backed: true, batchSize: 512 });
 * } finally {
 *   src.close();
 * }
 * ```
 */
export async function openBackedCounts(
  path: string,
  options: OpenBackedCountsOptions = {},
): Promise<BackedCounts> {
  if (!/\.h5ad$/i.test(path))
    throw new Error(
      `fit --backed: ${path} is not an .h5ad file (only .h5ad files can be read per minibatch)`,
    );
  const ad = await openAnnData(path, { backed: true });
  try {
    return await backedCounts(ad, options);
  } catch (e) {
    ad.close();
    throw e;
  }
}

async function backedCounts(ad: BackedAnnData, options: OpenBackedCountsOptions): Promise<BackedCounts> {
  const [C, G] = ad.shape;
  if (ad.format === "csc")
    throw new Error(
      `fit --backed: ${ad.path} stores X as CSC (by gene); minibatches of cells need X dense or CSR (rewrite it as CSR, e.g. anndata's X.tocsr())`,
    );
  if (C === 0 || G === 0) throw new Error(`fit --backed: ${ad.path}: empty count matrix [${C}, ${G}]`);
  const format = ad.format;
  const chunk = options.chunkCells ?? Math.max(1, Math.floor(2 ** 21 / G));
  const mergeGap = options.mergeGap ?? 32_768;
  const obsNames = ad.obs.index;
  const varNames = ad.var.index;
  // One pass: validation, fingerprint totals, library sizes. A row's counts are integers, so
  // their float64 sum is exact in any order and rounds to the float32 the in-memory path's
  // `counts.sum(-1)` gives. (A tensor per block here allocated a fresh shared buffer per block
  // once threads were on: RSS grew to 2.9 GB over a 1M-cell file before the first step.)
  const library = new Float32Array(C);
  const geneSums = new Float64Array(G);
  let sum = 0;
  let weighted = 0;
  const rowSums = new Float64Array(chunk);
  for (const blk of ad.cellBlocks(chunk)) {
    const rows = denseRows(blk.X);
    for (let i = 0; i < rows.length; i++) {
      const x = rows[i]!; // i < rows.length
      if (!Number.isFinite(x) || x < 0 || !Number.isInteger(x)) {
        const c = blk.start + Math.floor(i / G);
        throw new Error(
          `fit --backed: ${ad.path}: counts must be finite non-negative integers; cell ${c} (${obsNames[c]}), gene ${i % G} (${varNames[i % G]}) has ${x}`,
        );
      }
      sum += x;
      geneSums[i % G]! += x;
      rowSums[Math.floor(i / G)]! += x;
      weighted += x * (((blk.start * G + i) % FINGERPRINT_PERIOD) + 1);
    }
    library.set(rowSums.subarray(0, blk.end - blk.start), blk.start);
    rowSums.fill(0);
  }

  const reads = { batches: 0, rows: 0, slabs: 0, predicted: 0, prefetched: 0 };
  const depth = options.readAhead ?? 2;
  const B = options.batchSize ?? 0;
  const prefetch = depth > 0 && B > 0 && B < C ? new RowPrefetcher(ad.path, B * G, depth, mergeGap) : null;
  // not awaited: until the worker has opened the file (a second or more), steps read their own rows
  let plan: PlateKeyPlan | null = null;
  /** The rows of a plate draw with key `k` and indices `idx`: from the read-ahead when it has them. */
  const rowsFor = (k: Key, idx: Int32Array, size: number): Float32Array => {
    const step = plan?.observe(k) ?? null;
    if (step !== null) reads.predicted++;
    const ahead = step !== null && prefetch ? prefetch.take(step, idx, idx.length * G) : null;
    if (ahead) reads.prefetched++;
    const rows = ahead ?? readRowsDense(ad, idx, mergeGap, reads);
    // keep the next steps' rows coming while this one computes
    if (plan && prefetch)
      for (const next of plan.next(depth))
        if (!prefetch.has(next.step)) prefetch.request(next.step, choiceIndices(next.key, size, idx.length));
    return rows;
  };

  // Minibatch rows by the plate's indices tensor (the same object reaches the model by replay).
  const batches = new WeakMap<Tensor, Tensor>();
  class CellBatchMessenger extends Messenger {
    override postprocessMessage(msg: Message): void {
      if (msg.type !== "plate" || msg.name !== "cells") return;
      const k = msg.kwargs.rngKey;
      const value = msg.value;
      // a model replaying the guide's plate gets the guide's indices tensor (already served);
      // seed still hands that plate a key, which must not be used to draw again
      if (k === null || value === null || batches.has(value)) return;
      const [size, subsampleSize] = msg.args;
      const idx = choiceIndices(k, size, subsampleSize);
      batches.set(value, fromTypedArray(rowsFor(k, idx, size), [subsampleSize, G]));
    }
  }

  const notInMemory = (what: string) =>
    new Error(
      `fit --backed: the model asked for counts.${what}, which needs the whole matrix in memory; fit without --backed`,
    );
  const standIn = {
    rank: 2,
    shape: [C, G] as const,
    dtype: "float32" as const,
    index(idx: Tensor): Tensor {
      const b = batches.get(idx);
      if (!b)
        throw new Error(
          "fit --backed: counts rows were asked for indices the 'cells' plate did not draw (backed counts serve minibatches only)",
        );
      return b;
    },
    sum(axis: number): Tensor {
      if (axis !== -1 && axis !== 1) throw notInMemory(`sum(${axis})`);
      return fromTypedArray(library, [C]);
    },
  };
  const counts = new Proxy(standIn, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol" || prop in target) return Reflect.get(target, prop, receiver);
      if (prop === "then" || prop === "toJSON") return undefined;
      throw notInMemory(String(prop));
    },
  }) as unknown as Tensor;

  return {
    kind: "backed-counts",
    path: ad.path,
    shape: [C, G],
    format,
    obsNames,
    varNames,
    obs: ad.obs,
    stats: { sum, weighted },
    geneSums,
    librarySizes: library,
    counts,
    reads,
    wrap: (fn) => wrapWith(fn, () => new CellBatchMessenger()),
    planRun: (runKey, resumed) => {
      plan = new PlateKeyPlan(runKey, resumed);
    },
    close: () => {
      prefetch?.close();
      ad.close();
    },
  };
}
