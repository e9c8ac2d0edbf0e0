/**
 * What the posterior-predictive plots compare: observed counts of a few genes and the
 * posterior predictive draws for the same cells and genes, read back once with `await`, and
 * the summaries they are drawn from (histogram bands, ECDF bands, per-gene means). The
 * choice of genes follows SCRIBE's `scribe-visualize`: a grid spread across
 * expression levels, histograms capped at the 0.99 quantile (at least 10).
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { ScribeResults } from "../results/results.js";

/** Observed and predicted counts of the selected genes. */
export interface GenePredictive {
  /** Column indices of the genes in the count matrix. */
  genes: number[];
  /** Their names. */
  names: string[];
  /** Observed counts, one array of C cells per gene. */
  observed: Float64Array[];
  /** Predicted counts, per gene: S draws × C cells (draw-major). */
  predicted: Float64Array[];
  /** Draws S. */
  nDraws: number;
  /** Cells C. */
  nCells: number;
}

/** Options choosing genes and draws. */
export interface PredictiveSelection {
  /** Genes by index or name (default: `nGenes` spread across expression levels). */
  genes?: readonly (number | string)[];
  /** Number of genes chosen when `genes` is absent (default 25, a 5 × 5 grid). */
  nGenes?: number;
  /** Posterior predictive draws (default 100). */
  nSamples?: number;
  /** Seed of the draws (default 42). */
  seed?: number;
  /** Restrict to these cells (indices), e.g. one mixture component's cells. */
  cells?: readonly number[];
}

/** Read a count matrix [C, G] (one `await`) and check it matches the results. */
export async function readCounts(
  results: ScribeResults,
  counts: Tensor,
  where: string,
): Promise<Float64Array> {
  if (counts.rank !== 2 || counts.shape[0] !== results.nCells || counts.shape[1] !== results.nGenes)
    throw new Error(
      `${where}: counts have shape [${counts.shape}], the fit has ${results.nCells} cells × ${results.nGenes} genes`,
    );
  return Float64Array.from(await counts.data());
}

/** Per-gene mean of a C × G row-major matrix. */
export function geneMeans(x: ArrayLike<number>, C: number, G: number): Float64Array {
  const m = new Float64Array(G);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) m[g]! += x[c * G + g]!;
  for (let g = 0; g < G; g++) m[g]! /= C;
  return m;
}

/**
 * `n` genes spread across expression levels: the expressed genes (mean > 0) sorted by mean,
 * taken at evenly spaced ranks from the least to the most expressed; returned by rank.
 */
export function genesAcrossExpression(means: ArrayLike<number>, n: number): number[] {
  const expressed = Array.from({ length: means.length }, (_, g) => g).filter((g) => means[g]! > 0);
  expressed.sort((a, b) => means[a]! - means[b]! || a - b);
  if (expressed.length <= n) return expressed;
  const out: number[] = [];
  for (let j = 0; j < n; j++) out.push(expressed[Math.round((j * (expressed.length - 1)) / (n - 1))]!);
  return [...new Set(out)];
}

/** Resolve gene names or indices against the fit's genes. */
export function resolveGenes(
  results: ScribeResults,
  genes: readonly (number | string)[],
  where: string,
): number[] {
  return genes.map((g) => {
    const i = typeof g === "number" ? g : results.varNames.indexOf(g);
    if (!Number.isInteger(i) || i < 0 || i >= results.nGenes)
      throw new Error(`${where}: unknown gene ${JSON.stringify(g)} (the fit has ${results.nGenes} genes)`);
    return i;
  });
}

/**
 * Observed counts and posterior predictive draws for the chosen genes (the predictive is
 * drawn from the results restricted to those genes, so memory is S × C × genes).
 */
export async function genePredictive(
  results: ScribeResults,
  counts: Tensor,
  opts: PredictiveSelection = {},
  where = "genePredictive",
): Promise<GenePredictive> {
  const C = results.nCells;
  const G = results.nGenes;
  const x = await readCounts(results, counts, where);
  const genes = opts.genes
    ? resolveGenes(results, opts.genes, where)
    : genesAcrossExpression(geneMeans(x, C, G), opts.nGenes ?? 25);
  if (genes.length === 0) throw new Error(`${where}: no expressed genes to plot`);
  const S = opts.nSamples ?? 100;
  const seed = opts.seed ?? 42;
  // MCMC results keep their draws only unsliced; SVI results are sliced first (S × C × genes).
  const sliced = results.mcmcSamples === null;
  const src = sliced ? results.subsetGenes(genes) : results;
  const ppc: Tensor = await src.getPpcSamples({ nSamples: S, seed });
  const draws = ppc.shape[0]!;
  const width = ppc.shape[2]!;
  const flat = await ppc.data();
  const cells = opts.cells ? [...opts.cells] : Array.from({ length: C }, (_, c) => c);
  for (const c of cells)
    if (!Number.isInteger(c) || c < 0 || c >= C)
      throw new Error(`${where}: cell index ${c} out of range [0, ${C})`);
  const nc = cells.length;
  const observed: Float64Array[] = [];
  const predicted: Float64Array[] = [];
  genes.forEach((g, j) => {
    const col = sliced ? j : g;
    const o = new Float64Array(nc);
    cells.forEach((c, i) => {
      o[i] = x[c * G + g]!;
    });
    const p = new Float64Array(draws * nc);
    for (let s = 0; s < draws; s++)
      cells.forEach((c, i) => {
        p[s * nc + i] = flat[(s * C + c) * width + col]!;
      });
    observed.push(o);
    predicted.push(p);
  });
  return {
    genes,
    names: genes.map((g) => results.varNames[g]!),
    observed,
    predicted,
    nDraws: draws,
    nCells: nc,
  };
}

/** The q-quantile (linear interpolation, as NumPy's default) of a sorted array. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Histogram cap of a gene: the 0.99 quantile of its observed counts, at least 10 (SCRIBE's rule). */
export function histogramCap(observed: ArrayLike<number>): number {
  const s = Float64Array.from(observed).sort();
  return Math.max(10, Math.ceil(sortedQuantile(s, 0.99)));
}

/** Bins of one gene's histogram: integer counts 0..cap in bins of `width` counts; larger counts fall in the last bin. */
export interface CountBins {
  /** Counts per bin. */
  width: number;
  /** Number of bins. */
  n: number;
  /** Lower edge (count) of each bin. */
  lo: number[];
}

/** Bins of width ⌈(cap + 1)/maxBins⌉ over 0..cap. */
export function countBins(cap: number, maxBins = 40): CountBins {
  const width = Math.max(1, Math.ceil((cap + 1) / maxBins));
  const n = Math.ceil((cap + 1) / width);
  return { width, n, lo: Array.from({ length: n }, (_, b) => b * width) };
}

/** Fractions of `x` (one slice of length `len` at `off`) in each bin. */
export function binFractions(x: ArrayLike<number>, off: number, len: number, bins: CountBins): Float64Array {
  const h = new Float64Array(bins.n);
  for (let i = 0; i < len; i++) h[Math.min(bins.n - 1, Math.floor(x[off + i]! / bins.width))]! += 1;
  for (let b = 0; b < bins.n; b++) h[b]! /= len;
  return h;
}

/** Per-bin quantiles over draws of a per-draw statistic (rows = draws). */
export function bandQuantiles(perDraw: readonly Float64Array[], qs: readonly number[]): number[][] {
  const nb = perDraw[0]!.length;
  const out = qs.map(() => new Array<number>(nb).fill(0));
  const col = new Float64Array(perDraw.length);
  for (let b = 0; b < nb; b++) {
    for (let s = 0; s < perDraw.length; s++) col[s] = perDraw[s]![b]!;
    col.sort();
    qs.forEach((q, k) => {
      out[k]![b] = sortedQuantile(col, q);
    });
  }
  return out;
}
