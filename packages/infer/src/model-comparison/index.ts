/**
 * Model comparison from pointwise log-likelihoods: WAIC, PSIS-LOO with its Pareto k̂
 * diagnostics, relative efficiency of MCMC draws, `looCompare`, stacking and pseudo-BMA+
 * weights — the methods of R `loo` 2.x (Vehtari, Gelman and Gabry 2017; Vehtari et al.,
 * JMLR 2024; Yao et al. 2018), checked against it on shared matrices.
 * @module
 */
export { type Estimate, estimate } from "./estimates.js";
export { type GpdFit, gpdFit, gpdQuantile } from "./gpd-fit.js";
export { type LogLikInput, type LogLikMatrix, readLogLikMatrix, toLogLikMatrix } from "./log-lik-matrix.js";
export { type LooCompareRow, looCompare, type PointwiseElpd } from "./loo-compare.js";
export { type PseudoBmaOptions, pseudoBmaWeights } from "./pseudo-bma.js";
export { type PsisSmoothed, type PsisTruncation, psisSmooth, psisTailLength } from "./psis.js";
export {
  formatParetoKTable,
  type ParetoKRow,
  type PsisLooOptions,
  type PsisLooResult,
  paretoKTable,
  paretoKThreshold,
  psisLoo,
} from "./psis-loo.js";
export { type RelativeEffOptions, relativeEff } from "./relative-eff.js";
export { type StackingOptions, stackingWeights } from "./stacking.js";
export { type WaicOptions, type WaicResult, waic } from "./waic.js";
