/**
 * @scribe/models: SCRIBE's single-cell models, NB-GLM differential expression and the
 * method-of-moments test, and data IO (browser-safe parts; `@scribe/models/node` adds files).
 * @module @scribe/models
 */

export * from "./comparison/index.js";
export * as bayesianDe from "./de/bayesian/index.js";
export { BayesianComparison, compare, compareGroups, fitLogisticNormal } from "./de/bayesian/index.js";
export * as de from "./de/index.js";
export { adjustBH, momTest, nbFit, nbTest } from "./de/index.js";
export * from "./families/index.js";
export {
  type EarlyStoppingOptions,
  type FitOptions,
  type FitOutcome,
  fit,
  prepareCounts,
  prepareCountsAsync,
  SCRIBE_EARLY_STOPPING,
} from "./fit.js";
export * from "./guides/index.js";
export * from "./io/index.js";
export * from "./laplace/index.js";
export {
  capturedProbability,
  elementLogLikelihood,
  type LogLikelihoodOptions,
  type NbFamilyParams,
  nbFamilyLogLikelihood,
  reduceLogLikelihood,
  type TwoStateLogLikelihoodOptions,
  type TwoStateParams,
  twoStateElementLogLikelihood,
  twoStateLogLikelihood,
} from "./likelihood/index.js";
export * from "./models/index.js";
export * from "./plots/index.js";
export * from "./results/index.js";
export * from "./vae/index.js";
