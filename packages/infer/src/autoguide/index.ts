/**
 * Automatic guides built from a model's prototype trace.
 * @module
 */
export { AutoContinuous, type GuideParams, type LatentSlot } from "./auto-continuous.js";
export { AutoDelta } from "./auto-delta.js";
export {
  AutoAffineCouplingFlow,
  type AutoFlowOptions,
  AutoIAFNormal,
  AutoMAFNormal,
  AutoNormalizingFlow,
  type AutoNormalizingFlowOptions,
  AutoSplineCouplingFlow,
} from "./auto-flow.js";
export { AutoGuide, type AutoGuideOptions } from "./auto-guide.js";
export { AutoLaplaceApproximation, choleskyHost } from "./auto-laplace.js";
export {
  type AutoContinuousNormalOptions,
  AutoDiagonalNormal,
  AutoLowRankMultivariateNormal,
  type AutoLowRankOptions,
  AutoMultivariateNormal,
} from "./auto-multivariate.js";
export { AutoNormal, type AutoNormalOptions } from "./auto-normal.js";
export {
  findValidInitialParams,
  type InitStrategy,
  initToFeasible,
  initToMean,
  initToMedian,
  initToSample,
  initToUniform,
  initToValue,
  medianAxis0,
} from "./init-strategies.js";
export {
  type LatentSiteInfo,
  type PlateInfo,
  type Prototype,
  periodicRepeat,
  setupPrototype,
} from "./prototype.js";
