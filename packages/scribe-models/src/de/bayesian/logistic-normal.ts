/**
 * A low-rank logistic-normal fitted to one side's compositions (SCRIBE results
 * `fit_logistic_normal`, and `scribe.de`'s parametric method): ALR coordinates (against the last part — the
 * "other" part when genes are pooled, else the last gene) of the compositions per posterior
 * draw, their mean μ and a covariance W Wᵀ + diag(d) with W the leading principal factors
 * (randomized SVD) and d the remaining variance per coordinate.
 *
 * The exact ALR → CLR map: with z̃ = (z, 0), CLR = C z̃ where C = I − 11ᵀ/D centres, so
 * μ_clr = C μ̃, W_clr = C W̃, and the diagonal part C diag(d̃) Cᵀ has per-part variance
 * d̃_g(1 − 2/D) + Σd/D² (it is not diagonal; contrasts c use Σ_j d_j (c_j − c̄)²).
 * @module
 */
import { foldIn, type Key, key as makeKey } from "@scribe/core";
import type { ScribeResults } from "../../results/results.js";
import {
  type CompositionOptions,
  logCompositions,
  resolveComponent,
  resolveGeneMask,
} from "./compositions.js";
import { type DrawSource, resultsSource } from "./draw-source.js";
import { GammaStream } from "./gamma-stream.js";
import { topRightFactors } from "./randomized-svd.js";

/** A fitted low-rank logistic-normal, in ALR coordinates. */
export interface LogisticNormalFit {
  readonly kind: "logistic-normal";
  /** Names of the kept genes (the CLR coordinates reported). */
  readonly genes: readonly string[];
  /** Whether a pooled "other" part is the last of the D parts. */
  readonly hasOther: boolean;
  /** Number of parts D (kept genes + other). */
  readonly nParts: number;
  /** Rank of W. */
  readonly rank: number;
  /** ALR mean, length D−1. */
  readonly mu: Float64Array;
  /** ALR factors W, (D−1) × rank, row-major. */
  readonly W: Float64Array;
  /** ALR residual variances d, length D−1. */
  readonly d: Float64Array;
  /** Draws the fit used. */
  readonly nSamples: number;
}

/** Options of {@link fitLogisticNormal}. */
export interface LogisticNormalOptions extends CompositionOptions {
  /** Rank of W (default min(D−1, 50, draws−1)). */
  rank?: number;
  /** Posterior draws (default 1000; MCMC: at most the stored draws). */
  nSamples?: number;
  /** Dirichlet draws per posterior draw (default 1). */
  nSamplesDirichlet?: number;
  /** Draws per batch (default about 4·10⁶ / genes). */
  batchSize?: number;
  /** Seed or key (default 42). */
  seed?: number | Key;
  /** Genes to keep (booleans or names); the rest pooled into "other". */
  geneMask?: readonly boolean[] | readonly string[] | null;
}

/**
 * Fit the logistic-normal to ALR draws Z (n × p, row-major; modified in place: centred).
 * @example
 * const fit = fitLogisticNormalAlr(z, 500, 9, { rank: 3, genes, hasOther: false });
 */
export function fitLogisticNormalAlr(
  Z: Float64Array,
  n: number,
  p: number,
  opts: { rank?: number; genes: readonly string[]; hasOther: boolean; seed?: number | Key },
): LogisticNormalFit {
  if (n < 2) throw new Error(`fitLogisticNormal: need at least 2 draws, got ${n}`);
  if (Z.length !== n * p) throw new Error(`fitLogisticNormal: ${Z.length} values for ${n} × ${p} ALR draws`);
  const rank = opts.rank ?? Math.min(p, 50, n - 1);
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(p, n - 1))
    throw new Error(`fitLogisticNormal: rank must be an integer in [1, ${Math.min(p, n - 1)}], got ${rank}`);
  const mu = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mu[j]! += Z[i * p + j]!;
  for (let j = 0; j < p; j++) mu[j] = mu[j]! / n;
  const variance = new Float64Array(p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      const c = Z[i * p + j]! - mu[j]!;
      Z[i * p + j] = c;
      variance[j]! += c * c;
    }
  for (let j = 0; j < p; j++) variance[j] = variance[j]! / (n - 1);
  const seed = opts.seed ?? 42;
  const F = topRightFactors(Z, n, p, rank, typeof seed === "number" ? makeKey(seed) : seed);
  const r = F.length / p;
  const W = F.map((v) => v / Math.sqrt(n - 1));
  const d = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let c = 0; c < r; c++) s += W[j * r + c]! ** 2;
    d[j] = Math.max(variance[j]! - s, 1e-12 * Math.max(variance[j]!, 1e-300));
  }
  const D = p + 1;
  const nGenes = D - (opts.hasOther ? 1 : 0);
  if (opts.genes.length !== nGenes)
    throw new Error(`fitLogisticNormal: ${opts.genes.length} gene names for ${nGenes} genes`);
  return {
    kind: "logistic-normal",
    genes: opts.genes,
    hasOther: opts.hasOther,
    nParts: D,
    rank: r,
    mu,
    W,
    d,
    nSamples: n,
  };
}

/**
 * Fit a low-rank logistic-normal to the compositions of fitted results (or any draw source).
 * @example
 * const ln = await fitLogisticNormal(results, { rank: 10, nSamples: 500 });
 */
export async function fitLogisticNormal(
  results: ScribeResults | DrawSource,
  opts: LogisticNormalOptions = {},
): Promise<LogisticNormalFit> {
  const src = "batch" in results ? results : resultsSource(results);
  const sel = resolveGeneMask(src.genes, opts.geneMask);
  const comp = resolveComponent(src, opts, "fitLogisticNormal");
  const S = opts.nSamples ?? Math.min(1000, src.nStored ?? 1000);
  if (!Number.isInteger(S) || S < 2) throw new Error(`nSamples must be an integer ≥ 2, got ${S}`);
  if (src.nStored !== null && S > src.nStored)
    throw new Error(`nSamples ${S} exceeds the ${src.nStored} stored draws`);
  const nDir = opts.nSamplesDirichlet ?? 1;
  const G = src.genes.length;
  const batch = Math.min(S, opts.batchSize ?? Math.max(1, Math.floor(4e6 / G)));
  const D = sel.keep.length + (sel.pooled.length > 0 ? 1 : 0);
  const p = D - 1;
  const n = S * nDir;
  const Z = new Float64Array(n * p);
  const rows = new Float64Array(batch * nDir * D);
  const lam = new Float64Array(G * (comp === null ? src.nComponents : 1));
  const seed = opts.seed ?? 42;
  const k = typeof seed === "number" ? makeKey(seed) : seed;
  let row = 0;
  for (let start = 0, bi = 0; start < S; start += batch, bi++) {
    const m = Math.min(batch, S - start);
    const kb = foldIn(k, bi);
    const b = await src.batch(start, m, foldIn(kb, 0));
    logCompositions(b, src.nComponents, G, comp, sel, nDir, new GammaStream(foldIn(kb, 1)), rows, lam);
    for (let s = 0; s < m * nDir; s++, row++) {
      const ref = rows[s * D + D - 1]!;
      for (let j = 0; j < p; j++) Z[row * p + j] = rows[s * D + j]! - ref;
    }
  }
  return fitLogisticNormalAlr(Z, n, p, {
    rank: opts.rank ?? Math.min(p, 50, n - 1),
    genes: sel.names,
    hasOther: sel.pooled.length > 0,
    seed: foldIn(k, 0x5eed),
  });
}

/** CLR moments of a fit over all D parts: mean, factors (D × rank) and the d̃ of the diagonal part. */
export interface ClrMoments {
  readonly mean: Float64Array;
  readonly W: Float64Array;
  readonly rank: number;
  /** d̃ = (d, 0): the ALR residual variances padded with the reference part's 0. */
  readonly dTilde: Float64Array;
  /** Per-part variance: ‖W_g‖² + d̃_g(1 − 2/D) + Σd/D². */
  readonly variance: Float64Array;
}

/** The exact ALR → CLR transform of a fit (see the module comment). */
export function clrMoments(fit: LogisticNormalFit): ClrMoments {
  const D = fit.nParts;
  const r = fit.rank;
  const mean = new Float64Array(D);
  mean.set(fit.mu);
  const mBar = mean.reduce((a, b) => a + b, 0) / D;
  for (let g = 0; g < D; g++) mean[g] = mean[g]! - mBar;
  const W = new Float64Array(D * r);
  W.set(fit.W);
  for (let c = 0; c < r; c++) {
    let s = 0;
    for (let g = 0; g < D; g++) s += W[g * r + c]!;
    s /= D;
    for (let g = 0; g < D; g++) W[g * r + c] = W[g * r + c]! - s;
  }
  const dTilde = new Float64Array(D);
  dTilde.set(fit.d);
  const dSum = fit.d.reduce((a, b) => a + b, 0);
  const variance = new Float64Array(D);
  for (let g = 0; g < D; g++) {
    let w2 = 0;
    for (let c = 0; c < r; c++) w2 += W[g * r + c]! ** 2;
    variance[g] = w2 + dTilde[g]! * (1 - 2 / D) + dSum / (D * D);
  }
  return { mean, W, rank: r, dTilde, variance };
}
