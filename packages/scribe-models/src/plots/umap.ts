/**
 * UMAP of the cells (McInnes et al. 2018, via umap-js, seeded): counts normalized to 10⁴ per
 * cell and log1p-transformed, the most variable genes kept, centred and reduced to their
 * leading principal components (subspace iteration), then embedded in 2-D and coloured by
 * mixture component or an obs column. SCRIBE's `scribe-visualize` defaults: 15 neighbours,
 * min_dist 0.1, 50 PCs.
 * @module
 */
import type { Tensor } from "@scribe/core";
import { makeRng } from "../seeded-rng.js";
import { colorScale, type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link umapEmbedding}. */
export interface UmapOptions {
  /** Neighbours (default 15). */
  nNeighbors?: number;
  /** Minimum distance (default 0.1). */
  minDist?: number;
  /** Principal components (default 50, at most cells − 1 and genes). */
  nPcs?: number;
  /** Most variable genes kept (default 2000). */
  nTopGenes?: number;
  /** Optimization epochs (default: umap-js's choice, 500 below 10 000 cells). */
  nEpochs?: number;
  /** Seed (default 42). */
  seed?: number;
}

/** Options of {@link umapPlot}. */
export interface UmapPlotOptions extends UmapOptions, PlotOptions {
  /** Colour label of each cell (mixture components, an obs column); none: one colour. */
  colorBy?: readonly (string | number | null)[];
  /** Legend title of `colorBy` (default "group"). */
  colorTitle?: string;
  /** Cell names for tooltips. */
  cellNames?: readonly string[];
}

/** log1p(10⁴ · x / library size) of the `nTop` most variable genes, centred; C × nTop row-major. */
export function normalizedTopGenes(
  x: ArrayLike<number>,
  C: number,
  G: number,
  nTop: number,
): { data: Float64Array; width: number } {
  const lib = new Float64Array(C);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) lib[c]! += x[c * G + g]!;
  const y = new Float64Array(C * G);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) y[c * G + g] = lib[c]! > 0 ? Math.log1p((1e4 * x[c * G + g]!) / lib[c]!) : 0;
  const mean = new Float64Array(G);
  const v = new Float64Array(G);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) mean[g]! += y[c * G + g]! / C;
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) v[g]! += (y[c * G + g]! - mean[g]!) ** 2;
  const keep = Array.from({ length: G }, (_, g) => g)
    .sort((a, b) => v[b]! - v[a]! || a - b)
    .slice(0, Math.min(nTop, G));
  const w = keep.length;
  const out = new Float64Array(C * w);
  for (let c = 0; c < C; c++)
    keep.forEach((g, j) => {
      out[c * w + j] = y[c * G + g]! - mean[g]!;
    });
  return { data: out, width: w };
}

/** Scores of the top `k` principal components of a centred C × w matrix (subspace iteration, seeded). */
export function pcaScores(
  x: Float64Array,
  C: number,
  w: number,
  k: number,
  seed: number,
  iters = 8,
): Float64Array {
  const rnd = makeRng(seed);
  let Q = Float64Array.from({ length: w * k }, () => rnd() - 0.5);
  const orth = (M: Float64Array, rows: number) => {
    // modified Gram–Schmidt on the k columns of a rows × k matrix
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < j; i++) {
        let d = 0;
        for (let r = 0; r < rows; r++) d += M[r * k + i]! * M[r * k + j]!;
        for (let r = 0; r < rows; r++) M[r * k + j]! -= d * M[r * k + i]!;
      }
      let n = 0;
      for (let r = 0; r < rows; r++) n += M[r * k + j]! ** 2;
      n = Math.sqrt(n) || 1;
      for (let r = 0; r < rows; r++) M[r * k + j]! /= n;
    }
  };
  const times = (Qm: Float64Array) => {
    const Z = new Float64Array(C * k);
    for (let c = 0; c < C; c++)
      for (let g = 0; g < w; g++) {
        const v = x[c * w + g]!;
        if (v === 0) continue;
        for (let j = 0; j < k; j++) Z[c * k + j]! += v * Qm[g * k + j]!;
      }
    return Z;
  };
  orth(Q, w);
  for (let it = 0; it < iters; it++) {
    const Z = times(Q);
    const Qn = new Float64Array(w * k);
    for (let c = 0; c < C; c++)
      for (let g = 0; g < w; g++) {
        const v = x[c * w + g]!;
        if (v === 0) continue;
        for (let j = 0; j < k; j++) Qn[g * k + j]! += v * Z[c * k + j]!;
      }
    orth(Qn, w);
    Q = Qn;
  }
  return times(Q);
}

/** A seeded 2-D UMAP embedding of the cells of `counts` (`[cells, genes]`), `C × 2` row-major. */
export async function umapEmbedding(counts: Tensor, opts: UmapOptions = {}): Promise<Float64Array> {
  if (counts.rank !== 2)
    throw new Error(`umapPlot: counts must be [cells, genes], got shape [${counts.shape}]`);
  const [C, G] = counts.shape as [number, number];
  const nn = opts.nNeighbors ?? 15;
  if (C <= nn) throw new Error(`umapPlot: ${C} cells; UMAP needs more cells than neighbours (${nn})`);
  const x = await counts.data();
  const seed = opts.seed ?? 42;
  const { data, width } = normalizedTopGenes(x, C, G, opts.nTopGenes ?? 2000);
  const k = Math.max(2, Math.min(opts.nPcs ?? 50, C - 1, width));
  const pcs = pcaScores(data, C, width, k, seed);
  const rows = Array.from({ length: C }, (_, c) => Array.from(pcs.subarray(c * k, (c + 1) * k)));
  const { UMAP } = await import("umap-js");
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: nn,
    minDist: opts.minDist ?? 0.1,
    random: makeRng(seed + 1),
    ...(opts.nEpochs ? { nEpochs: opts.nEpochs } : {}),
  });
  const emb = umap.fit(rows);
  return Float64Array.from(emb.flat());
}

/** The UMAP plot of the cells of `counts` [cells, genes]. */
export async function umapPlot(counts: Tensor, opts: UmapPlotOptions = {}): Promise<PlotSpec> {
  const C = counts.shape[0]!;
  if (opts.colorBy && opts.colorBy.length !== C)
    throw new Error(`umapPlot: colorBy has ${opts.colorBy.length} labels for ${C} cells`);
  const emb = await umapEmbedding(counts, opts);
  const label = (c: number) => (opts.colorBy ? String(opts.colorBy[c] ?? "NA") : "cells");
  const values = Array.from({ length: C }, (_, c) => ({
    umap1: emb[2 * c]!,
    umap2: emb[2 * c + 1]!,
    group: label(c),
    cell: opts.cellNames?.[c] ?? String(c),
  }));
  const groups = [...new Set(values.map((v) => v.group))].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true }),
  );
  return plotSpec(
    {
      width: opts.width ?? 380,
      height: opts.height ?? 380,
      data: { values },
      mark: { type: "point", filled: true, size: 16, opacity: 0.8 },
      encoding: {
        x: {
          field: "umap1",
          type: "quantitative",
          title: "UMAP 1",
          axis: { ticks: false, labels: false, grid: false },
        },
        y: {
          field: "umap2",
          type: "quantitative",
          title: "UMAP 2",
          axis: { ticks: false, labels: false, grid: false },
        },
        color: {
          field: "group",
          type: "nominal",
          title: opts.colorTitle ?? "group",
          scale: colorScale(opts, groups),
          ...(opts.colorBy ? {} : { legend: null }),
        },
        tooltip: [{ field: "cell" }],
      },
    },
    opts.title ?? `UMAP of ${C} cells`,
  );
}
