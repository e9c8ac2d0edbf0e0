import { fromTypedArray } from "../tensor/creation.js";
import { allocStorage } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { useBackendInstance, withBackend } from "./registry.js";

/**
 * Copy `t` to another backend: the explicit (awaited) transfer for work that has no kernel on
 * the tensor's backend, e.g. a sampler without a WebGPU form:
 * `const g = await toBackend(withBackend(cpuBackend(), () => random.gamma(k, 2, [100])), "webgpu")`.
 * The copy is a new leaf (it is not differentiated through). float64 becomes float32 on WebGPU.
 */
export async function toBackend(t: Tensor, name: "cpu" | "webgpu"): Promise<Tensor> {
  const target = await useBackendInstance(name);
  if (t.backend === target) return t;
  const src = await t.data();
  const dtype = src instanceof Float64Array && !target.supportsFloat64 ? "float32" : t.dtype;
  const copy = allocStorage(dtype, src.length);
  copy.set(src);
  return withBackend(target, () => fromTypedArray(copy, t.shape));
}
