/**
 * The effect runtime: primitives, plates, the handler stack and the handlers.
 * @module
 */
export {
  type ConstraintLike,
  type DistributionLike,
  eventDimOf,
  isDistributionLike,
} from "./distribution-like.js";
export * from "./handlers/index.js";
export {
  type CondIndepStackFrame,
  combineScale,
  copyMessage,
  type DeterministicMessage,
  type InferConfig,
  type Message,
  type MessageBase,
  type MessageType,
  type ParamInit,
  type ParamMessage,
  type PlateMessage,
  type PrngKeyMessage,
  type SampleMessage,
  type ScaleValue,
  type SiteMessage,
  type SubsampleMessage,
  type Trace,
} from "./message.js";
export {
  applyStack,
  defaultProcess,
  handlerStack,
  Messenger,
  withHandler,
  withHandlers,
  wrapWith,
} from "./messenger.js";
export {
  hasParamTransform,
  type ParamBijection,
  type ParamTransformFactory,
  paramTransform,
  setParamTransform,
} from "./param-transform.js";
export { PlateMessenger, type PlateOptions, plate, plateBatchShape, plateStack, subsample } from "./plate.js";
export {
  deterministic,
  factor,
  type ModuleLike,
  module,
  type ParamOptions,
  param,
  prngKey,
  type SampleOptions,
  sample,
} from "./primitives.js";
export { type ScanInfo, type ScanOptions, type ScanX, type ScanXs, scan } from "./scan.js";
export { ScanStackedDistribution } from "./scan-stacked.js";
export { UnitFactor } from "./unit.js";
