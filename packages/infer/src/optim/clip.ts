/**
 * Gradient clipping by global L2 norm (optax's `clip_by_global_norm`), computed on device:
 * no readback.
 * @module
 */
import { add, scalar, sqrt, type Tensor, where } from "@scribe/core";
import type { TensorRecord } from "./optimizer.js";

/** The L2 norm of all tensors of a record taken together (a scalar tensor). */
export function globalNorm(grads: TensorRecord): Tensor {
  let sq: Tensor = scalar(0);
  for (const g of Object.values(grads)) sq = add(sq, g.square().sum());
  return sqrt(sq);
}

/**
 * Rescale every gradient by maxNorm / ‖g‖ when the global norm exceeds `maxNorm`.
 * @example
 * const grads = { a: tensor([3, 0]), b: tensor([0, 4]) }; // global norm 5
 * const clipped = clipByGlobalNorm(grads, 1.0); // { a: [0.6, 0], b: [0, 0.8] }
 */
export function clipByGlobalNorm(grads: TensorRecord, maxNorm: number): Record<string, Tensor> {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  const norm = globalNorm(grads);
  const factor = where(norm.gt(maxNorm), norm.reciprocal().mul(maxNorm), 1);
  const out: Record<string, Tensor> = {};
  for (const [k, g] of Object.entries(grads)) out[k] = g.mul(factor.astype(g.dtype));
  return out;
}
