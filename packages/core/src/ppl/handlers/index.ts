/**
 * Effect handlers: each file holds a `Messenger` subclass and a wrapper function.
 * @module
 */
export { BlockMessenger, type BlockOptions, block } from "./block.js";
export { type ConditionFn, ConditionMessenger, condition } from "./condition.js";
export { DoMessenger, doIntervene } from "./do.js";
export {
  configEnumerate,
  type EnumerateOptions,
  type EnumInfo,
  EnumMessenger,
  enumDimOf,
  enumerate,
  enumerateSupportOf,
} from "./enum.js";
export { InferConfigMessenger, inferConfig } from "./infer-config.js";
export { LiftMessenger, type LiftPrior, lift } from "./lift.js";
export { MaskMessenger, type MaskValue, mask } from "./mask.js";
export {
  type ReparamConfig,
  type Reparameterizer,
  ReparamMessenger,
  type ReparamResult,
  type ReparamSite,
  reparam,
} from "./reparam.js";
export { ReplayMessenger, replay } from "./replay.js";
export { ScaleMessenger, scale } from "./scale.js";
export { ScopeMessenger, type ScopeOptions, scope } from "./scope.js";
export { SeedMessenger, seed } from "./seed.js";
export {
  type SiteValue,
  type SiteValues,
  type SubstituteFn,
  SubstituteMessenger,
  substitute,
} from "./substitute.js";
export { type TracedFn, TraceMessenger, trace } from "./trace.js";
