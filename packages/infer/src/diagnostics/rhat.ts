/**
 * Potential scale reduction factors: Gelman–Rubin, split R-hat, and the rank-normalized
 * split R-hat of Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021).
 * @module
 */
import { type Chains, checkChains, meanVar, pool, rankNormalize, splitChains } from "./chains.js";
import { quantile } from "./stats.js";

/**
 * Gelman–Rubin R-hat of equally long chains: `√(var⁺/W)` with W the mean within-chain
 * variance and `var⁺ = (n−1)/n·W + B/n`. Needs at least 2 chains and 2 draws.
 * @example
 * gelmanRubin([new Float64Array([1, 2, 3]), new Float64Array([2, 3, 1])]); // ≈ 0.82
 */
export function gelmanRubin(chains: Chains): number {
  const [m, n] = checkChains(chains, "gelmanRubin", 2);
  if (m < 2) throw new Error("gelmanRubin: needs at least 2 chains (use splitRhat for one chain)");
  const mv = chains.map((x) => meanVar(x));
  const w = mv.reduce((s, [, v]) => s + v, 0) / m;
  const [, bOverN] = meanVar(mv.map(([mu]) => mu));
  if (w === 0) return bOverN === 0 ? 1 : Number.POSITIVE_INFINITY;
  const varPlus = ((n - 1) / n) * w + bOverN;
  return Math.sqrt(varPlus / w);
}

/**
 * Split R-hat: Gelman–Rubin on the chains cut in halves (works for one chain).
 * @example
 * splitRhat([Float64Array.from({ length: 100 }, (_, i) => Math.sin(i))]); // ≈ 1
 */
export function splitRhat(chains: Chains): number {
  checkChains(chains, "splitRhat", 4);
  return gelmanRubin(splitChains(chains));
}

/**
 * Rank-normalized split R-hat (Vehtari et al. 2021): the larger of the split R-hat of the
 * rank-normalized draws (bulk) and of the rank-normalized folded draws `|x − median|` (tails).
 * @example
 * rankNormalizedSplitRhat([Float64Array.from({ length: 100 }, (_, i) => Math.sin(i))]); // ≈ 1
 */
export function rankNormalizedSplitRhat(chains: Chains): number {
  checkChains(chains, "rankNormalizedSplitRhat", 4);
  const split = splitChains(chains);
  const bulk = gelmanRubin(rankNormalize(split));
  const med = quantile(pool(split), 0.5);
  const folded = split.map((x) => x.map((v) => Math.abs(v - med)));
  const tail = gelmanRubin(rankNormalize(folded));
  return Math.max(bulk, tail);
}
