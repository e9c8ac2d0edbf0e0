/**
 * @scribe/infer: optimizers and trace utilities (SVI, autoguides, MCMC and Predictive
 * build on these).
 * @packageDocumentation
 */
export * from "./optim/index.js";
export * from "./util/index.js";
export * from "./mcmc/index.js";
export { latentLayout, type LatentLayout, modelPotentialEnergy, modelSetup } from "./mcmc/potential.js";
export * as diagnostics from "./diagnostics/index.js";
export {
  autocorrelation,
  autocovariance,
  bulkEss,
  effectiveSampleSize,
  gelmanRubin,
  hpdi,
  quantile,
  rankNormalizedSplitRhat,
  splitRhat,
  summary,
  tailEss,
} from "./diagnostics/index.js";
import "./install-transforms.js";
export { installDefaultParamTransform } from "./install-transforms.js";
export * from "./svi/index.js";
export * from "./autoguide/index.js";
export * from "./predictive/index.js";
export * from "./reparam/index.js";
export * as nn from "./nn/index.js";
export * from "./model-comparison/index.js";
