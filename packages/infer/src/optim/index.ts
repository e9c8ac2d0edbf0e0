/**
 * Functional optimizers over records of tensors, gradient clipping and learning-rate
 * schedules.
 * @module
 */
export { clipByGlobalNorm, globalNorm } from "./clip.js";
export {
  type LeafRule,
  type LearningRate,
  learningRateAt,
  type Optimizer,
  type OptimizerState,
  RuleOptimizer,
  type RuleStep,
  type TensorRecord,
  type UpdateOptions,
} from "./optimizer.js";
export {
  Adagrad,
  Adam,
  type AdamOptions,
  adagrad,
  adam,
  ClippedAdam,
  type ClippedAdamOptions,
  clippedAdam,
  Momentum,
  momentum,
  RMSProp,
  rmsprop,
  SGD,
  sgd,
  withGlobalNormClipping,
} from "./rules.js";
export { cosineDecay, exponentialDecay, piecewiseConstant, type Schedule } from "./schedules.js";
