/**
 * Effective sample size: the multi-chain estimator with Geyer's initial positive and
 * monotone sequences, and the bulk and tail ESS of Vehtari et al. (2021).
 * @module
 */
import { autocovariance } from "./autocorrelation.js";
import { type Chains, checkChains, meanVar, pool, rankNormalize, splitChains } from "./chains.js";
import { quantile } from "./stats.js";

/**
 * ESS of equally long chains: combined autocorrelations
 * `ρ̂(t) = 1 − (W − mean_c γ_c(t)) / var⁺`, summed over Geyer's initial positive sequence
 * of pair sums made monotone, `ESS = m·n / τ̂` with `τ̂ = −1 + 2 Σ_k (ρ̂(2k) + ρ̂(2k+1))`,
 * capped at `m·n·log10(m·n)`. A constant quantity gives NaN.
 * @example
 * effectiveSampleSize([Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i * 2.4))]); // large
 */
export function effectiveSampleSize(chains: Chains): number {
  const [m, n] = checkChains(chains, "effectiveSampleSize", 4);
  const acov = chains.map((x) => autocovariance(x));
  const means = chains.map((x) => meanVar(x)[0]);
  // Within-chain variances with divisor n−1 from the biased lag-0 autocovariances.
  let w = 0;
  for (const g of acov) w += (g[0]! * n) / (n - 1);
  w /= m;
  const bOverN = m > 1 ? meanVar(means)[1] : 0;
  const varPlus = ((n - 1) / n) * w + bOverN;
  if (!(varPlus > 0)) return Number.NaN;
  const rho = (t: number): number => {
    let s = 0;
    for (const g of acov) s += g[t]!;
    return 1 - (w - s / m) / varPlus;
  };
  let sum = 0;
  let prev = Number.POSITIVE_INFINITY;
  for (let t = 0; t + 1 < n; t += 2) {
    let pair = (t === 0 ? 1 : rho(t)) + rho(t + 1);
    if (pair < 0) break;
    if (pair > prev) pair = prev;
    sum += pair;
    prev = pair;
  }
  const tau = Math.max(-1 + 2 * sum, 1 / Math.log10(m * n));
  return (m * n) / tau;
}

/**
 * Draws per chain that the split-chain ESS estimates need: each half holds at least the 4 draws
 * {@link effectiveSampleSize} needs.
 */
export const SPLIT_ESS_MIN_DRAWS = 8;

/**
 * Bulk ESS (Vehtari et al. 2021): the ESS of the rank-normalized split chains; measures
 * how well the centre of the distribution is explored.
 * @example
 * const chains = await Promise.all([0, 1].map((c) => random.normal(key(c), [500]).data())); // or mcmc.getSiteDraws()[i].chains
 * bulkEss(chains); // ≈ 1000: independent draws
 */
export function bulkEss(chains: Chains): number {
  checkChains(chains, "bulkEss", SPLIT_ESS_MIN_DRAWS);
  return effectiveSampleSize(rankNormalize(splitChains(chains)));
}

/**
 * Tail ESS (Vehtari et al. 2021): the smaller ESS of the indicators `x ≤ q05` and
 * `x ≥ q95` over split chains.
 * @example
 * const chains = await Promise.all([0, 1].map((c) => random.normal(key(c), [500]).data())); // or mcmc.getSiteDraws()[i].chains
 * tailEss(chains); // ≈ 1000: independent draws
 */
export function tailEss(chains: Chains): number {
  checkChains(chains, "tailEss", SPLIT_ESS_MIN_DRAWS);
  const split = splitChains(chains);
  const all = pool(split);
  const q05 = quantile(all, 0.05);
  const q95 = quantile(all, 0.95);
  const lo = effectiveSampleSize(split.map((x) => x.map((v) => (v <= q05 ? 1 : 0))));
  const hi = effectiveSampleSize(split.map((x) => x.map((v) => (v <= q95 ? 1 : 0))));
  return Math.min(lo, hi);
}
