/**
 * @scribe/core: tensors, reverse-mode autodiff, CPU (and WebGPU) kernels, random keys and
 * special functions.
 * @packageDocumentation
 */
import "./tensor/tensor-methods.js";

export { Tensor } from "./tensor/tensor.js";
export { type FormatOptions, formatTensor, formatValues } from "./tensor/format.js";
export type { NestedNumbers } from "./tensor/tensor-methods.js";
export type { DType, TypedArray } from "./tensor/dtype.js";
export { finfoEps, isFloat, promoteTypes } from "./tensor/dtype.js";
export type { Shape } from "./tensor/shape.js";
export { broadcastShapes, sizeOf } from "./tensor/shape.js";
export {
  arange,
  eye,
  fromTypedArray,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  scalar,
  tensor,
  zeros,
  zerosLike,
  type NestedArray,
} from "./tensor/creation.js";
export { data, dataSync, realize } from "./tensor/realize.js";
export {
  MAX_PENDING_CHECKS,
  checkOrDefer,
  deferCheck,
  discardChecks,
  flushChecks,
  flushChecksSync,
  nameChecks,
  pendingChecks,
  type CheckFailure,
  type CheckFormatter,
} from "./tensor/deferred-checks.js";
export * from "./ops/elementwise.js";
export * from "./ops/reduce.js";
export * from "./ops/movement.js";
export * from "./ops/indexing.js";
export * from "./ops/linalg.js";
export { grad, valueAndGrad, vjp, unbroadcast, type Params } from "./autodiff/grad.js";
export { scope, keep, dispose, liveBuffers } from "./memory/scope.js";
export { currentBackend, cpuBackend, useBackend, withBackend, registerBackendLoader } from "./backend/registry.js";
export type { Backend, BackendBuffer } from "./backend/backend.js";
export { UnsupportedOpError } from "./backend/backend.js";
export * as specialScalar from "./special/scalar/index.js";
export { gaussLegendre01 } from "./special/scalar/gauss-legendre.js";
export * as random from "./ops/random.js";
export { key, split as splitKey, foldIn, type Key } from "./random/index.js";
// Effect runtime (primitives, plates, handlers). The `scope` handler is exported as
// `nameScope` (and as `handlers.scope`) because `scope` is the memory scope.
export * from "./ppl/index.js";
export { scope as nameScope } from "./ppl/handlers/scope.js";
export * as handlers from "./ppl/handlers/index.js";
export { jit, type Jitted } from "./jit/jit.js";
