/**
 * Activation functions for `nn` layers: plain tensor functions (differentiable through the
 * core ops).
 * @module
 */
import {
  relu as coreRelu,
  softplus as coreSoftplus,
  tanh as coreTanh,
  erf,
  type Tensor,
  where,
} from "@scribe/core";

/** An activation: a tensor function applied elementwise. */
export type Activation = (x: Tensor) => Tensor;

/**
 * max(x, 0).
 * @example
 * relu(tensor([-1, 2])); // [0, 2]
 */
export function relu(x: Tensor): Tensor {
  return coreRelu(x);
}

/** x where x > 0, `slope`·x elsewhere (default slope 0.01). */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return where(x.gt(0), x, x.mul(slope));
}

/** log(1 + eˣ), computed stably. */
export function softplus(x: Tensor): Tensor {
  return coreSoftplus(x);
}

/** The hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  return coreTanh(x);
}

/** GELU, exact form x·Φ(x) = x·(1 + erf(x/√2))/2; with `approximate`, the tanh form. */
export function gelu(x: Tensor, approximate = false): Tensor {
  if (approximate) {
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(coreTanh(inner).add(1)).mul(0.5);
  }
  return x.mul(erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

/** Activations by name, for `mlp(..., { activation: "relu" })`. */
export const activations: Readonly<Record<string, Activation>> = {
  relu,
  leakyRelu: (x) => leakyRelu(x),
  softplus,
  tanh,
  gelu: (x) => gelu(x),
  identity: (x) => x,
};
