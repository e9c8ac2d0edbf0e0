/**
 * Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao and Gabry, JMLR 25,
 * 2024), per observation: the M largest importance ratios are replaced by the expected
 * order statistics of a generalized Pareto fit, then the weights are truncated. We follow the
 * standard PSIS as implemented by R `loo` 2.x, not SCRIBE's `compare_models`, which clamps
 * the *unnormalised* log-weights at min(max, 0.75·log S) and so, with per-cell
 * log-likelihoods of order −10³, flattens the whole tail (see SCRIBE `scribe.mc`).
 * @module
 */
import { gpdFit, gpdQuantile } from "./gpd-fit.js";

/** Fewest tail draws for which a Pareto fit is attempted (`loo`'s `min_len`). */
const MIN_TAIL = 5;

/** How the smoothed weights are truncated. */
export type PsisTruncation =
  /** At the largest raw weight: R `loo` 2.x and the 2024 paper's algorithm (default). */
  | "max-raw"
  /** At S^(3/4)·w̄, the mean smoothed weight (the first version of the PSIS paper, 2015). */
  | "s34-mean"
  /** None (smoothed weights as they are; for diagnostics). */
  | "none";

/** Result of smoothing one observation's log importance ratios. */
export interface PsisSmoothed {
  /** Smoothed, truncated log-weights (not normalized; same shift as the input ratios). */
  readonly logWeights: Float64Array;
  /** Pareto shape estimate k̂ (Infinity when the tail was too short or constant). */
  readonly k: number;
}

/**
 * Tail length M = ⌈min(0.2·S, 3·√(S / r_eff))⌉ (the paper's rule, `loo`'s `n_pareto`).
 * @example
 * psisTailLength(4000, 1); // 190
 */
export function psisTailLength(nDraws: number, rEff = 1): number {
  return Math.ceil(Math.min(0.2 * nDraws, 3 * Math.sqrt(nDraws / rEff)));
}

/**
 * Smooth one observation's log importance ratios (for LOO, −log-likelihood over draws).
 * The draws are sorted; the largest M (see {@link psisTailLength}) become
 * log(F⁻¹((j − ½)/M) + w_cut), F the generalized Pareto fitted to the exceedances over the
 * largest weight below the tail, w_cut; then weights are truncated (see {@link PsisTruncation}).
 * @example
 * const { k } = psisSmooth(Float64Array.from({ length: 1000 }, (_, i) => Math.log((i + 1) / 1000)), 1);
 */
export function psisSmooth(
  logRatios: Float64Array,
  rEff = 1,
  truncation: PsisTruncation = "max-raw",
): PsisSmoothed {
  const S = logRatios.length;
  let mx = Number.NEGATIVE_INFINITY;
  for (let s = 0; s < S; s++) if (logRatios[s]! > mx) mx = logRatios[s]!;
  const lw = new Float64Array(S);
  for (let s = 0; s < S; s++) lw[s] = logRatios[s]! - mx; // shift for safe exponentiation
  let k = Number.POSITIVE_INFINITY;
  const M = psisTailLength(S, rEff);
  if (M >= MIN_TAIL && M < S) {
    const order = Array.from({ length: S }, (_, s) => s).sort((a, b) => lw[a]! - lw[b]! || a - b);
    const tailIds = order.slice(S - M);
    const lwMin = lw[tailIds[0]!]!;
    const lwMax = lw[tailIds[M - 1]!]!;
    if (Math.abs(lwMax - lwMin) >= Number.EPSILON / 100) {
      const cutoff = lw[order[S - M - 1]!]!;
      const expCut = Math.exp(cutoff);
      const exceed = new Float64Array(M);
      for (let j = 0; j < M; j++) exceed[j] = Math.exp(lw[tailIds[j]!]!) - expCut;
      const fit = gpdFit(exceed);
      k = fit.k;
      if (Number.isFinite(k))
        for (let j = 0; j < M; j++)
          lw[tailIds[j]!] = Math.log(gpdQuantile((j + 1 - 0.5) / M, k, fit.sigma) + expCut);
    }
  }
  let cap = truncation === "none" ? Number.POSITIVE_INFINITY : 0; // 0: the largest raw weight, after the shift
  if (truncation === "s34-mean") {
    let lse = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < S; s++) lse = logAddExp(lse, lw[s]!);
    cap = lse - Math.log(S) + 0.75 * Math.log(S);
  }
  for (let s = 0; s < S; s++) {
    if (lw[s]! > cap) lw[s] = cap;
    lw[s] = lw[s]! + mx;
  }
  return { logWeights: lw, k };
}

function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}
