/**
 * limma-style moment matching of a scaled F prior for residual variances
 * ("fitFDist", intercept-only) and the "squeezeVar" posterior, with the inverse
 * trigamma function they need (limma fitFDist). The default NB-GLM pipeline uses the
 * maximum-likelihood fit in ql-shrinkage.ts (glmGamPoi); this is the edgeR/limma
 * alternative (`nbFit(..., { qlMethod: "moments" })`).
 * @module
 */
import { digamma, trigamma } from "./special.js";

/** log(x) − ψ(x). */
export function logMinusDigamma(x: number): number {
  return Math.log(x) - digamma(x);
}

/**
 * Inverse of the trigamma function on (0, ∞): the y > 0 with ψ₁(y) = x. Uses
 * ψ₁(y) ≈ 1/y for large y, so x < 1e-6 → 1/x; ψ₁(y) ≈ 1/y²
 * for small y, so x > 1e7 → 1/√x; otherwise bisection on log y of the monotone
 * 1/ψ₁(y) − 1/x from the bracket around 0.5 + 1/x, to relative precision 1e-13.
 * @example
 * ```ts
 * trigammaInverse(trigamma(3.7)); // ≈ 3.7
 * ```
 */
export function trigammaInverse(x: number): number {
  if (Number.isNaN(x) || x <= 0) return Number.NaN;
  if (x > 1e7) return 1 / Math.sqrt(x);
  if (x < 1e-6) return 1 / x;
  const y0 = 0.5 + 1 / x;
  let lo = Math.log(y0) - 1;
  let hi = Math.log(y0) + 1;
  while (trigamma(Math.exp(lo)) < x) lo -= 1;
  while (trigamma(Math.exp(hi)) > x) hi += 1;
  for (let it = 0; it < 200 && hi - lo > 1e-14; it++) {
    const mid = 0.5 * (lo + hi);
    if (trigamma(Math.exp(mid)) > x) lo = mid;
    else hi = mid;
  }
  return Math.exp(0.5 * (lo + hi));
}

/** Result of {@link fitFDistMoments}. */
export interface FDistPrior {
  /** Prior scale s0². */
  scale: number;
  /** Prior degrees of freedom d0 (Infinity when the variances show no extra spread). */
  df2: number;
}

/**
 * Moment-matching fit of s²_g ~ s0²·F(d_g, d0) on the log scale (limma's fitFDist
 * without covariate): floor s² at 1e-5·median, e = log s² + log(d/2) − ψ(d/2),
 * V = var(e) − mean ψ₁(d/2); V > 0 → d0 = 2ψ₁⁻¹(V), s0² = exp(ē − log(d0/2) + ψ(d0/2));
 * otherwise d0 = ∞ and s0² = mean(s²).
 */
export function fitFDistMoments(s2: ArrayLike<number>, df: number | ArrayLike<number>): FDistPrior {
  const idx: number[] = [];
  const dfAt = (g: number) => (typeof df === "number" ? df : df[g]!);
  for (let g = 0; g < s2.length; g++) if (Number.isFinite(s2[g]!) && dfAt(g) > 0) idx.push(g);
  const N = idx.length;
  if (N === 0) throw new Error("fitFDist: no finite variances with positive df");
  const sorted = idx.map((g) => s2[g]!).sort((a, b) => a - b);
  let med = N % 2 ? sorted[N >> 1]! : 0.5 * (sorted[(N >> 1) - 1]! + sorted[N >> 1]!);
  if (med === 0) med = 1;
  const floor = 1e-5 * med;
  const e = idx.map((g) => Math.log(Math.max(s2[g]!, floor)) + logMinusDigamma(dfAt(g) / 2));
  const emean = e.reduce((a, b) => a + b, 0) / N;
  if (N < 2) return { scale: Math.exp(emean), df2: Number.POSITIVE_INFINITY };
  let V = e.reduce((a, b) => a + (b - emean) ** 2, 0) / (N - 1);
  V -= idx.reduce((a, g) => a + trigamma(dfAt(g) / 2), 0) / N;
  if (V > 0) {
    const d0 = 2 * trigammaInverse(V);
    return { scale: Math.exp(emean - logMinusDigamma(d0 / 2)), df2: d0 };
  }
  const mean = idx.reduce((a, g) => a + Math.max(s2[g]!, floor), 0) / N;
  return { scale: mean, df2: Number.POSITIVE_INFINITY };
}

/**
 * Empirical-Bayes posterior variances (limma's squeezeVar): (d0 s0² + d s²)/(d0 + d),
 * s0² when d0 = ∞.
 * @example
 * ```ts
 * squeezeVar([1, 2, 4], 3).s2Post.length; // 3
 * ```
 */
export function squeezeVar(
  s2: ArrayLike<number>,
  df: number | ArrayLike<number>,
): FDistPrior & { s2Post: Float64Array } {
  const prior = fitFDistMoments(s2, df);
  const s2Post = Float64Array.from({ length: s2.length }, (_, g) => {
    const d = typeof df === "number" ? df : df[g]!;
    if (prior.df2 === Number.POSITIVE_INFINITY) return prior.scale;
    return (prior.df2 * prior.scale + d * s2[g]!) / (prior.df2 + d);
  });
  return { ...prior, s2Post };
}
