/**
 * @scribe/infer: optimizers and trace utilities (SVI, autoguides, MCMC and Predictive
 * build on these).
 * @module @scribe/infer
 */
import { ensureParamTransform } from "./install-transforms.js";

// Explicit wiring: constrained params map through distributions' bijectTo (idempotent).
ensureParamTransform();

// Both autoguide and enumeration name a `PlateInfo`; the package exports the autoguide one (as before).
export type { PlateInfo } from "./autoguide/index.js";
export * from "./autoguide/index.js";
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
export * from "./enumeration/index.js";
export * from "./flows/index.js";
export { type MarkovInfo, type MarkovOptions, markov, markovInfoOf } from "./handlers/markov.js";
export { ensureParamTransform, installDefaultParamTransform } from "./install-transforms.js";
export * from "./mcmc/index.js";
export { type LatentLayout, latentLayout, modelPotentialEnergy, modelSetup } from "./mcmc/potential.js";
export * from "./model-comparison/index.js";
export * as nn from "./nn/index.js";
export * from "./optim/index.js";
export * from "./predictive/index.js";
export * from "./reparam/index.js";
export * from "./svi/index.js";
export * from "./util/index.js";
