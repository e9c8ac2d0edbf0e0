/**
 * Normalizing flows written in the core's tensors: affine coupling (Real NVP), rational-
 * quadratic spline coupling (Neural Spline Flows), MAF and IAF (MADE conditioners), each with
 * an exact log-determinant and zero-initialised output layers (a fresh flow is the identity).
 * @module
 */
export {
  AffineCoupling,
  AffineCouplingTransform,
  type CouplingOptions,
  clampBound,
} from "./affine-coupling.js";
export { AutoregressiveAffineLayer } from "./autoregressive-affine-layer.js";
export type { AutoregressiveOptions } from "./autoregressive-options.js";
export { type ConditionerOptions, DenseConditioner } from "./conditioner.js";
export { CouplingMask } from "./coupling-mask.js";
export { ElementwiseAffine } from "./elementwise-affine.js";
export { type FlowLayer, type FlowPass, FlowTransform, softClamp } from "./flow-transform.js";
export { IAFTransform, InverseAutoregressiveFlow } from "./iaf.js";
export { Made, type MadeOptions } from "./made.js";
export { MAFTransform, MaskedAutoregressiveFlow } from "./maf.js";
export {
  FLOW_KINDS,
  FlowDistribution,
  type FlowKind,
  NormalizingFlow,
  type NormalizingFlowOptions,
  normalizingFlow,
} from "./normalizing-flow.js";
export {
  rationalQuadraticSpline,
  type SplineFloors,
  type SplineParams,
} from "./rational-quadratic-spline.js";
export { SplineCoupling, type SplineCouplingOptions, SplineCouplingTransform } from "./spline-coupling.js";
