/**
 * Automatic guides built from a model's prototype trace.
 * @module
 */
export { AutoDelta } from "./auto-delta.js";
export { AutoGuide, type AutoGuideOptions } from "./auto-guide.js";
export { AutoNormal, type AutoNormalOptions } from "./auto-normal.js";
export { type InitStrategy, initToFeasible, initToUniform, initToValue } from "./init-strategies.js";
export {
  type LatentSiteInfo,
  type PlateInfo,
  type Prototype,
  periodicRepeat,
  setupPrototype,
} from "./prototype.js";
