/**
 * Model comparison from pointwise log-likelihoods: WAIC, PSIS-LOO with its Pareto k̂
 * diagnostics, relative efficiency of MCMC draws, `looCompare`, stacking and pseudo-BMA+
 * weights — the methods of R `loo` 2.x (Vehtari, Gelman and Gabry 2017; Vehtari et al.,
 * JMLR 2024; Yao et al. 2018), checked against it on shared matrices.
 * @module
 */
export { type Estimate, estimate } from "./estimates.js";
export { gpdFit, type GpdFit, gpdQuantile } from "./gpd-fit.js";
export { type LogLikInput, type LogLikMatrix, readLogLikMatrix, toLogLikMatrix } from "./log-lik-matrix.js";
export { looCompare, type LooCompareRow, type PointwiseElpd } from "./loo-compare.js";
export { type PseudoBmaOptions, pseudoBmaWeights } from "./pseudo-bma.js";
export { psisSmooth, type PsisSmoothed, psisTailLength, type PsisTruncation } from "./psis.js";
export {
  formatParetoKTable,
  paretoKTable,
  paretoKThreshold,
  type ParetoKRow,
  psisLoo,
  type PsisLooOptions,
  type PsisLooResult,
} from "./psis-loo.js";
export { relativeEff, type RelativeEffOptions } from "./relative-eff.js";
export { type StackingOptions, stackingWeights } from "./stacking.js";
export { waic, type WaicOptions, type WaicResult } from "./waic.js";
