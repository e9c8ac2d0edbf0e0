/**
 * Highly variable genes on raw counts, Seurat v3 style (Stuart et al. 2019, Cell 177:1888,
 * "Feature selection for individual datasets"; scanpy's `flavor="seurat_v3"`): fit the
 * trend of log10 variance against log10 mean with a local quadratic regression (loess,
 * span 0.3), standardise each count by the trend's standard deviation, clip at √N, and
 * rank genes by the variance of the clipped standardised values.
 *
 * The loess is evaluated directly at every gene (R's `loess(..., surface = "direct")`),
 * not on the interpolation grid that R's and scikit-misc's default surface uses; the two
 * differ in the last digits only.
 * @module
 */
import type { Matrix } from "../io/matrix.js";

/** The per-gene statistics behind a selection. */
export interface HvgStats {
  /** Mean count per gene. */
  mean: Float64Array;
  /** Sample variance (N − 1) per gene. */
  variance: Float64Array;
  /** Variance predicted by the mean–variance trend (10^loess). */
  varianceExpected: Float64Array;
  /** Variance of the clipped standardised counts (the ranking score). */
  normalizedVariance: Float64Array;
}

/** Call `fn(row, col, value)` for every stored entry of a matrix (zeros of a dense one included). */
export function forEachEntry(m: Matrix, fn: (row: number, col: number, value: number) => void): void {
  const [r, c] = m.shape;
  if (m.format === "dense") {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) fn(i, j, m.data[i * c + j]!);
    return;
  }
  const outer = m.format === "csr" ? r : c;
  for (let o = 0; o < outer; o++)
    for (let k = m.indptr[o]!; k < m.indptr[o + 1]!; k++) {
      const inner = m.indices[k]!;
      if (m.format === "csr") fn(o, inner, m.data[k]!);
      else fn(inner, o, m.data[k]!);
    }
}

/** Solve the 3 × 3 system A x = b (Gaussian elimination, partial pivoting); null if singular. */
function solve3(a: number[], b: number[]): number[] | null {
  const m = [0, 1, 2].map((i) => [a[3 * i]!, a[3 * i + 1]!, a[3 * i + 2]!, b[i]!]);
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[piv]![col]!)) piv = r;
    const pr = m[piv]!;
    if (Math.abs(pr[col]!) < 1e-300) return null;
    [m[col], m[piv]] = [pr, m[col]!];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / pr[col]!;
      for (let k = col; k < 4; k++) m[r]![k]! -= f * pr[k]!;
    }
  }
  return [0, 1, 2].map((i) => m[i]![3]! / m[i]![i]!);
}

/**
 * Loess fit of y on x (one predictor, local quadratic, tricube weights over the
 * ⌊span·n⌋ nearest points, no robustness iterations), evaluated at every x: Cleveland,
 * Grosse & Shyu (1992), "Local regression models", Statistical Models in S, ch. 8.
 */
export function loessFit(x: ArrayLike<number>, y: ArrayLike<number>, span = 0.3): Float64Array {
  const n = x.length;
  const q = Math.min(n, Math.floor(n * span + 1e-5));
  if (q < 3) throw new Error(`loess: span ${span} of ${n} points leaves fewer than 3 neighbours`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const xs = order.map((i) => x[i]!);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const x0 = xs[t]!;
    // the q nearest points form a window [lo, lo + q) of the sorted x: slide it to x0
    let lo = Math.max(0, Math.min(t - q + 1, n - q));
    while (lo + q < n && x0 - xs[lo]! > xs[lo + q]! - x0) lo++;
    const h = Math.max(x0 - xs[lo]!, xs[lo + q - 1]! - x0);
    const a = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const b = [0, 0, 0];
    for (let k = lo; k < lo + q; k++) {
      const d = h > 0 ? Math.abs(xs[k]! - x0) / h : 0;
      const w = d < 1 ? (1 - d ** 3) ** 3 : 0;
      if (w === 0) continue;
      const u = xs[k]! - x0;
      const basis = [1, u, u * u];
      const yk = y[order[k]!]!;
      for (let i = 0; i < 3; i++) {
        b[i]! += w * basis[i]! * yk;
        for (let j = 0; j < 3; j++) a[3 * i + j]! += w * basis[i]! * basis[j]!;
      }
    }
    const coef = solve3(a, b);
    // centred at x0, the fitted value is the intercept; a degenerate window falls back to its mean
    out[order[t]!] = coef ? coef[0]! : b[0]! / a[0]!;
  }
  return out;
}

/**
 * Seurat v3 statistics of every gene of a cells × genes raw count matrix. Genes with zero
 * variance keep a trend of 10^0 = 1 (as scanpy) and score 0.
 */
export function hvgStats(counts: Matrix, span = 0.3): HvgStats {
  const [N, G] = counts.shape;
  if (N < 2) throw new Error(`--hvg: needs at least 2 cells, got ${N}`);
  const sum = new Float64Array(G);
  const sumSq = new Float64Array(G);
  forEachEntry(counts, (_, j, v) => {
    sum[j]! += v;
    sumSq[j]! += v * v;
  });
  const mean = sum.map((s) => s / N);
  const variance = sumSq.map((s2, j) => Math.max(0, (s2 - N * mean[j]! ** 2) / (N - 1)));
  const varying = Array.from({ length: G }, (_, j) => j).filter((j) => variance[j]! > 0);
  const logTrend = new Float64Array(G);
  if (varying.length > 0) {
    const fitted = loessFit(
      varying.map((j) => Math.log10(mean[j]!)),
      varying.map((j) => Math.log10(variance[j]!)),
      span,
    );
    varying.forEach((j, i) => {
      logTrend[j] = fitted[i]!;
    });
  }
  const varianceExpected = logTrend.map((l) => 10 ** l);
  const sd = varianceExpected.map(Math.sqrt);
  const clip = sd.map((s, j) => mean[j]! + s * Math.sqrt(N));
  const clippedSum = new Float64Array(G);
  const clippedSq = new Float64Array(G);
  forEachEntry(counts, (_, j, v) => {
    const c = Math.min(v, clip[j]!);
    clippedSum[j]! += c;
    clippedSq[j]! += c * c;
  });
  const normalizedVariance = mean.map((m, j) =>
    variance[j]! > 0
      ? (N * m * m + clippedSq[j]! - 2 * m * clippedSum[j]!) / ((N - 1) * varianceExpected[j]!)
      : 0,
  );
  return { mean, variance, varianceExpected, normalizedVariance };
}

/**
 * The `n` most variable genes (column indices, in increasing order) by
 * {@link hvgStats}' normalised variance; ties keep the earlier gene.
 */
export function highlyVariableGenes(counts: Matrix, n: number, span = 0.3): number[] {
  const G = counts.shape[1];
  if (!Number.isInteger(n) || n < 1) throw new Error(`--hvg must be a positive integer, got ${n}`);
  if (n >= G) return Array.from({ length: G }, (_, j) => j);
  const score = hvgStats(counts, span).normalizedVariance;
  return Array.from({ length: G }, (_, j) => j)
    .sort((a, b) => score[b]! - score[a]! || a - b)
    .slice(0, n)
    .sort((a, b) => a - b);
}
