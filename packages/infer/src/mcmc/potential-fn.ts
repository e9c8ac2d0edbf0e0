/**
 * Potential energies as the samplers see them: a function that writes the gradient into
 * a Float64Array and returns the energy, synchronously (plain JavaScript, nothing on a
 * device) or with one `await` (a tensor potential, on any backend: device values are never
 * read back synchronously).
 * @module
 */
import {
  type Backend,
  concat,
  currentBackend,
  fromTypedArray,
  scope,
  type Tensor,
  valueAndGrad,
  withBackend,
} from "@scribe/core";

/** A potential energy on flat float64 parameters, written with tensors: `U(θ) = −log p(θ)` up to a constant. */
export type PotentialFn = (params: Tensor) => Tensor;

/**
 * A potential energy in plain JavaScript: writes `∇U(x)` into `grad` and returns `U(x)`.
 * It must not keep `x` (the sampler mutates it afterwards).
 */
export type PotentialGradFn = (x: Float64Array, grad: Float64Array) => number;

/**
 * A potential energy computed on a device and read back with one `await`: writes `∇U(x)`
 * into `grad` and resolves to `U(x)`. It must not keep `x`.
 */
export type AsyncPotentialGradFn = (x: Float64Array, grad: Float64Array) => Promise<number>;

/**
 * Host float64 values as a tensor on `backend`: float64 where the backend has it, float32
 * otherwise (WebGPU). The sampler's own arithmetic stays in float64 on the host either way.
 */
export function deviceVector(
  backend: Backend,
  x: Float64Array,
  shape: readonly number[] = [x.length],
): Tensor {
  return withBackend(backend, () =>
    fromTypedArray(backend.supportsFloat64 ? x.slice() : Float32Array.from(x), shape),
  );
}

/**
 * Read `[U, ∇U…]` (one flat tensor, kept by the caller) with one `await`, write the
 * gradient into `grad` and return `U`; the tensor is freed either way.
 */
export async function readEnergyAndGradient(
  packed: Tensor,
  grad: Float64Array,
  what: string,
): Promise<number> {
  try {
    const d = await packed.data();
    if (d.length !== grad.length + 1)
      throw new Error(
        `${what}: gradient has ${d.length - 1} entries, expected ${grad.length} (one per parameter)`,
      );
    for (let i = 0; i < grad.length; i++) grad[i] = d[i + 1]!;
    return d[0]!;
  } finally {
    packed.dispose();
  }
}

/**
 * Wrap a tensor potential into an {@link AsyncPotentialGradFn} on the backend current at
 * the call: one `valueAndGrad` per evaluation, the energy and gradient packed into one small
 * buffer and read with one `await`.
 * @example
 * const f = tensorPotentialAsync((x) => x.square().sum().mul(0.5));
 * const g = new Float64Array(2);
 * await f(new Float64Array([1, 2]), g); // 2.5, g = [1, 2]
 */
export function tensorPotentialAsync(fn: PotentialFn): AsyncPotentialGradFn {
  const vg = valueAndGrad((p: Tensor) => fn(p));
  const backend = currentBackend();
  return (x, grad) => {
    const packed = withBackend(backend, () =>
      scope(() => {
        const [v, g] = vg(deviceVector(backend, x));
        return concat([v.reshape([1]), g.reshape([g.size])]);
      }),
    );
    return readEnergyAndGradient(packed, grad, "potential");
  };
}
