/**
 * Generalized Pareto fit for the PSIS tail: the empirical-Bayes estimate of Zhang and
 * Stephens (2009, Technometrics 51, §4) on a grid of θ = −k/σ, with the weakly informative
 * prior that pulls k̂ toward 0.5 with weight 10 observations (Vehtari, Simpson, Gelman, Yao
 * and Gabry, "Pareto smoothed importance sampling", JMLR 25, 2024, §3 and appendix), as the
 * reference implementation R `loo` (`gpdfit`) does.
 * @module
 */

/** A fitted generalized Pareto distribution (location 0). */
export interface GpdFit {
  /** Shape k̂ (after the prior adjustment); Infinity when the fit failed. */
  readonly k: number;
  /** Scale σ̂ (from the unadjusted shape, as `loo` computes it). */
  readonly sigma: number;
}

/** Grid points beyond ⌊√n⌋ (Zhang and Stephens use 20 + ⌊√n⌋; `loo` uses 30). */
const MIN_GRID_POINTS = 30;
/** Prior constant of the θ grid (Zhang and Stephens' p = 3). */
const GRID_PRIOR = 3;
/** Weight, in observations, of the prior that pulls k̂ toward 0.5. */
const PRIOR_WEIGHT = 10;

/**
 * Fit a generalized Pareto distribution with location 0 to the exceedances `x` (sorted
 * ascending, all ≥ 0).
 * @example
 * const { k, sigma } = gpdFit(Float64Array.from({ length: 100 }, (_, i) => -Math.log(1 - (i + 0.5) / 100)));
 * // exponential quantiles: k near 0 (pulled toward 0.5 by the prior), sigma near 1
 */
export function gpdFit(x: Float64Array, adjustTowardHalf = true): GpdFit {
  const n = x.length;
  if (n < 1) throw new Error("gpdFit: no exceedances");
  const m = MIN_GRID_POINTS + Math.floor(Math.sqrt(n));
  const xStar = x[Math.floor(n / 4 + 0.5) - 1]!; // first quartile (1-based index ⌊n/4 + ½⌋)
  const xMax = x[n - 1]!;
  const theta = new Float64Array(m);
  const logLik = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    theta[j] = 1 / xMax + (1 - Math.sqrt(m / (j + 1 - 0.5))) / GRID_PRIOR / xStar;
    // profile log-likelihood: n (log(−θ / k) − k − 1) with k = −mean log1p(−θ x)
    const a = -theta[j]!;
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log1p(a * x[i]!);
    const k = s / n;
    logLik[j] = n * (Math.log(a / k) - k - 1);
  }
  let mx = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < m; j++) if (logLik[j]! > mx) mx = logLik[j]!;
  let z = 0;
  for (let j = 0; j < m; j++) z += Math.exp(logLik[j]! - mx);
  let thetaHat = 0;
  for (let j = 0; j < m; j++) thetaHat += theta[j]! * Math.exp(logLik[j]! - mx - Math.log(z));
  let k = 0;
  for (let i = 0; i < n; i++) k += Math.log1p(-thetaHat * x[i]!);
  k /= n;
  const sigma = -k / thetaHat;
  if (adjustTowardHalf) k = (k * n) / (n + PRIOR_WEIGHT) + (PRIOR_WEIGHT * 0.5) / (n + PRIOR_WEIGHT);
  if (Number.isNaN(k)) k = Number.POSITIVE_INFINITY;
  return { k, sigma };
}

/**
 * Quantile function of the generalized Pareto distribution (location 0):
 * σ·expm1(−k·log1p(−p))/k; NaN for a non-positive or NaN scale.
 * @example
 * gpdQuantile(0.5, 0.5, 1); // 2·(√2 − 1) ≈ 0.828
 */
export function gpdQuantile(p: number, k: number, sigma: number): number {
  if (!(sigma > 0)) return Number.NaN;
  return (sigma * Math.expm1(-k * Math.log1p(-p))) / k;
}
