/**
 * Model comparison and goodness of fit for SCRIBE fits (SCRIBE `scribe.mc`): PSIS-LOO, WAIC, stacking
 * and ranking with cells as observations, per-gene comparison, randomized quantile residuals
 * and posterior predictive checks.
 * @module
 */
export { type GeneComparisonRow, geneLevelComparison } from "./gene-comparison.js";
export { ksDistanceNormal, ksPValue, normalCdf } from "./kolmogorov.js";
export { fitChainCount, fitRelativeEff } from "./loo-reff.js";
export {
  type CompareModelsOptions,
  compareModels,
  ModelComparison,
  type ModelDiagnostics,
  type ModelRankRow,
} from "./model-comparison.js";
export {
  type PointwiseLogLik,
  type PointwiseLogLikOptions,
  pointwiseLogLikelihoods,
} from "./pointwise-log-likelihood.js";
export {
  type PpcGoodnessOfFit,
  type PpcGoodnessOfFitOptions,
  ppcGoodnessOfFit,
  ppcGoodnessOfFitMask,
} from "./ppc-goodness-of-fit.js";
export {
  type GoodnessOfFitMaskOptions,
  goodnessOfFitMask,
  type QuantileResidualOptions,
  type QuantileResidualStats,
  quantileResiduals,
  residualStats,
} from "./quantile-residuals.js";
export { type TwoStateHostParams, twoStateCdfPair, twoStateHostParams } from "./two-state-cdf.js";
