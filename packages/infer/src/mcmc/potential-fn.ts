/**
 * Potential energies as the samplers see them: a function that writes the gradient into
 * a Float64Array and returns the energy.
 * @module
 */
import { fromTypedArray, scope, type Tensor, valueAndGrad } from "@scribe/core";

/** A potential energy on flat float64 parameters, written with tensors: `U(θ) = −log p(θ)` up to a constant. */
export type PotentialFn = (params: Tensor) => Tensor;

/**
 * A potential energy in plain JavaScript: writes `∇U(x)` into `grad` and returns `U(x)`.
 * It must not keep `x` (the sampler mutates it afterwards).
 */
export type PotentialGradFn = (x: Float64Array, grad: Float64Array) => number;

/**
 * Wrap a tensor potential into a {@link PotentialGradFn}: one `valueAndGrad` call per
 * evaluation, inside a memory scope, so nothing outlives the call.
 * @example
 * const f = tensorPotential((x) => x.square().sum().mul(0.5));
 * const g = new Float64Array(2);
 * f(new Float64Array([1, 2]), g); // 2.5, g = [1, 2]
 */
export function tensorPotential(fn: PotentialFn): PotentialGradFn {
  const vg = valueAndGrad((p: Tensor) => fn(p));
  return (x, grad) =>
    scope(() => {
      const [v, g] = vg(fromTypedArray(Float64Array.from(x), [x.length]));
      const gd = g.dataSync();
      if (gd.length !== grad.length)
        throw new Error(
          `potential: gradient has ${gd.length} entries, expected ${grad.length} (one per parameter)`,
        );
      grad.set(gd);
      return v.item();
    });
}
