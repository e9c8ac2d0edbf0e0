/**
 * @scribe/core: tensors, reverse-mode autodiff, CPU (and WebGPU) kernels, random keys and
 * special functions.
 * @module @scribe/core
 */

export { grad, type Params, unbroadcast, valueAndGrad, vjp } from "./autodiff/grad.js";
export type { Backend, BackendBuffer } from "./backend/backend.js";
export { UnsupportedOpError } from "./backend/backend.js";
export {
  cpuBackend,
  currentBackend,
  registerBackendLoader,
  useBackend,
  withBackend,
} from "./backend/registry.js";
export { hostScalar, keyedHostDraw } from "./jit/host-inputs.js";
export { type Jitted, jit } from "./jit/jit.js";
export { jitKeyed, type KeyedJitted } from "./jit/keyed-program.js";
export { dispose, keep, liveBuffers, scope } from "./memory/scope.js";
export * from "./ops/elementwise.js";
export * from "./ops/indexing.js";
export * from "./ops/linalg.js";
export * from "./ops/movement.js";
export * as random from "./ops/random.js";
export * from "./ops/reduce.js";
export * as handlers from "./ppl/handlers/index.js";
export { scope as nameScope } from "./ppl/handlers/scope.js";
// Effect runtime (primitives, plates, handlers). The `scope` handler is exported as
// `nameScope` (and as `handlers.scope`) because `scope` is the memory scope.
export * from "./ppl/index.js";
// Host float64 uniform draws (the values `random.uniform` gives on the cpu), with no tensor to read
// back, and the host subsample indices a subsampled plate draws (for minibatches read from disk).
export {
  choice as choiceIndices,
  foldIn,
  type Key,
  key,
  split as splitKey,
  uniform as uniformValues,
} from "./random/index.js";
// Node-only modules loaded on demand, with a clear error in a browser bundle.
export { debugEnv } from "./runtime/debug-env.js";
export { loadNodeOnly } from "./runtime/node-only.js";
export { gaussLegendre01 } from "./special/scalar/gauss-legendre.js";
export * as specialScalar from "./special/scalar/index.js";
export {
  arange,
  eye,
  fromTypedArray,
  full,
  fullLike,
  linspace,
  type NestedArray,
  ones,
  onesLike,
  scalar,
  tensor,
  zeros,
  zerosLike,
} from "./tensor/creation.js";
export {
  type CheckFailure,
  type CheckFormatter,
  checkOrDefer,
  deferCheck,
  discardChecks,
  flushChecks,
  flushChecksSync,
  MAX_PENDING_CHECKS,
  nameChecks,
  pendingChecks,
} from "./tensor/deferred-checks.js";
export type { DType, TypedArray } from "./tensor/dtype.js";
export { finfoEps, isFloat, promoteTypes } from "./tensor/dtype.js";
export { type FormatOptions, formatTensor, formatValues } from "./tensor/format.js";
export { data, dataSync, MAX_DEFERRED_DEPTH, realize } from "./tensor/realize.js";
export { realizeTogether } from "./tensor/realize-together.js";
export type { Shape } from "./tensor/shape.js";
export { broadcastShapes, sizeOf } from "./tensor/shape.js";
export { Tensor } from "./tensor/tensor.js";
export type { NestedNumbers } from "./tensor/tensor-methods.js";
