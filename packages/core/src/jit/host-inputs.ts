import type { Key } from "../random/key.js";
import { fromTypedArray, scalar } from "../tensor/creation.js";
import type { DType, TypedArray } from "../tensor/dtype.js";
import type { Shape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * Host inputs: values the host computes anew on every call of a function that `jitKeyed`
 * compiles (keyed-program.ts), which a replay cannot compute because it runs no host code. A
 * function marks them by making them through {@link hostScalar} (a number read from host
 * state, such as a KL annealing weight that changes every step) or {@link keyedHostDraw}
 * (values the host draws from a key, such as a subsampled plate's indices). Eagerly each is an
 * ordinary upload; while `jitKeyed` records, the upload's buffer becomes an input of the
 * program, which every replay fills on the host first: the scalar from its `read()` then, the
 * draw from the replay's key along the same key path. So a replay computes with the values an
 * eager call would have made, and two recordings compare equal although the values differ.
 * Under plain `jit` (no key, no host code per call) a host input makes the recording refuse.
 */
export interface HostInputObserver {
  /** `t`'s values are `read()` on every call. */
  scalar(t: Tensor, read: () => number): void;
  /** `t`'s values are `draw(k)` on every call, `k` derived from the call's key as this one was. */
  keyed(t: Tensor, k: Key, draw: (k: Key) => TypedArray): void;
}

let observer: HostInputObserver | null = null;

/** Install `o` (null: none) to be told of every host input made; returns the previous observer. @internal */
export function observeHostInputs(o: HostInputObserver | null): HostInputObserver | null {
  const previous = observer;
  observer = o;
  return previous;
}

/**
 * A scalar tensor of the host number `read()` that a compiled function reads afresh on every
 * call (see the file comment); eagerly `scalar(read(), dtype)`.
 * @example
 * let beta = 0.25;
 * const w = hostScalar(() => beta); // 0.25 now; a compiled step reads beta again at each replay
 */
export function hostScalar(read: () => number, dtype: DType = "float32"): Tensor {
  const t = scalar(read(), dtype);
  observer?.scalar(t, read);
  return t;
}

/**
 * The tensor of shape `shape` holding `draw(k)`, values the host draws from key `k` (see the
 * file comment); eagerly `fromTypedArray(draw(k), shape)`. `draw` must be a function of its key
 * alone.
 * @example
 * const idx = keyedHostDraw(key(0), (k) => choiceIndices(k, 100, 8), [8]); // int32 [8]
 */
export function keyedHostDraw(k: Key, draw: (k: Key) => TypedArray, shape: Shape): Tensor {
  const t = fromTypedArray(draw(k), shape);
  observer?.keyed(t, k, draw);
  return t;
}
