/**
 * Weight initializers for `nn` layers: functions of a key, a shape and a dtype. For a
 * weight of shape [fanIn, fanOut] (as `Linear` stores it) the fans are the two dims.
 * @module
 */
import { zeros as coreZeros, type DType, full, type Key, random, type Tensor } from "@scribe/core";

/** Makes an initial tensor of `shape`. */
export type Initializer = (k: Key, shape: readonly number[], dtype?: DType) => Tensor;

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

function floatDtype(d?: DType): "float32" | "float64" {
  return d === "float64" ? "float64" : "float32";
}

/** All zeros. */
export const zeros: Initializer = (_k, shape, dtype) => coreZeros([...shape], floatDtype(dtype));

/** All ones. */
export const ones: Initializer = (_k, shape, dtype) => full([...shape], 1, floatDtype(dtype));

/**
 * Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)).
 * @example
 * const w = xavierUniform()(key(0), [64, 32]);
 */
export function xavierUniform(gain = 1): Initializer {
  return (k, shape, dtype) => {
    const [i, o] = fans(shape);
    const a = gain * Math.sqrt(6 / (i + o));
    return random.uniform(k, [...shape], -a, a, { dtype: floatDtype(dtype) });
  };
}

/** Glorot/Xavier normal: N(0, gain²·2 / (fanIn + fanOut)). */
export function xavierNormal(gain = 1): Initializer {
  return (k, shape, dtype) => {
    const [i, o] = fans(shape);
    return random.normal(k, [...shape], { dtype: floatDtype(dtype) }).mul(gain * Math.sqrt(2 / (i + o)));
  };
}

/** He/Kaiming uniform for ReLU-like layers: U(−a, a) with a = √(6 / fanIn)·gain/√2 (gain √2 by default). */
export function kaimingUniform(gain = Math.SQRT2): Initializer {
  return (k, shape, dtype) => {
    const [i] = fans(shape);
    const a = gain * Math.sqrt(3 / i);
    return random.uniform(k, [...shape], -a, a, { dtype: floatDtype(dtype) });
  };
}

/** He/Kaiming normal: N(0, gain²/fanIn) (gain √2 by default). */
export function kaimingNormal(gain = Math.SQRT2): Initializer {
  return (k, shape, dtype) => {
    const [i] = fans(shape);
    return random.normal(k, [...shape], { dtype: floatDtype(dtype) }).mul(gain / Math.sqrt(i));
  };
}
