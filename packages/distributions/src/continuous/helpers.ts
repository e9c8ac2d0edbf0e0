import {
  abs,
  add,
  type DType,
  div,
  full,
  type Key,
  log,
  log1p,
  maximum,
  minimum,
  mul,
  random,
  type Shape,
  square,
  type Tensor,
} from "@scribe/core";

/**
 * Numerical helpers shared by the continuous families.
 * @internal
 */

/** ½ log(2π). @internal */
export const HALF_LOG_2PI = 0.9189385332046728;
/** log π. @internal */
export const LOG_PI = 1.1447298858494002;
/** Euler–Mascheroni constant γ. @internal */
export const EULER_GAMMA = 0.5772156649015329;

/** The smallest positive normal number of a float dtype. @internal */
export function tiny(dtype: DType): number {
  return dtype === "float64" ? 2.2250738585072014e-308 : 1.1754943508222875e-38;
}

/**
 * log(1 + z²) without overflow for huge |z|: 2 log a + log1p((b/a)²) with a = max(|z|, 1),
 * b = min(|z|, 1). Branch-free, so gradients stay finite everywhere.
 * @internal
 */
export function log1pSquare(z: Tensor): Tensor {
  const az = abs(z);
  const a = maximum(az, 1);
  const b = minimum(az, 1);
  return add(mul(log(a), 2), log1p(square(div(b, a))));
}

/** Standard normal noise of `shape` in `dtype`. @internal */
export function stdNormal(key: Key, shape: Shape, dtype: DType): Tensor {
  return random.normal(key, shape, { dtype });
}

/** Uniform noise on (0, 1): [tiny, 1) so logs of it stay finite. @internal */
export function openUniform(key: Key, shape: Shape, dtype: DType): Tensor {
  return random.uniform(key, shape, tiny(dtype), 1, { dtype });
}

/** A batch-shaped constant (for undefined moments: ∞ or NaN). @internal */
export function constant(shape: Shape, value: number, dtype: DType): Tensor {
  return full(shape, value, dtype);
}
