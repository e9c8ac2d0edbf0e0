/**
 * MCMC diagnostics on plain Float64Arrays: autocorrelation, ESS (classic, bulk, tail),
 * R-hat (Gelman–Rubin, split, rank-normalized split), quantiles, HPDI and summaries
 * (`summarizeSamples` reads tensors with one `await` each, on any backend).
 * @module
 */
export { autocorrelation, autocovariance, autocovarianceDirect } from "./autocorrelation.js";
export { type Chains, pool, rankNormalize, ranks, splitChains } from "./chains.js";
export { bulkEss, effectiveSampleSize, SPLIT_ESS_MIN_DRAWS, tailEss } from "./ess.js";
export { fft, nextPow2 } from "./fft.js";
export { gelmanRubin, rankNormalizedSplitRhat, splitRhat } from "./rhat.js";
export { hpdi, quantile, quantiles } from "./stats.js";
export {
  formatSummary,
  type SiteDraws,
  type SummaryRow,
  summarizeChains,
  summarizeSamples,
  summary,
} from "./summary.js";
