/**
 * The structural view of a distribution that the effect runtime needs. Core never imports
 * `@scribe/distributions`; any object with these members can be used at a sample site.
 * @module
 */
import type { Key } from "../random/index.js";
import type { Shape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * A constraint, seen structurally: something that can check membership. Params carry one
 * so that inference code can map them to and from an unconstrained space.
 */
export interface ConstraintLike {
  /** Elementwise (or per-event) membership test; returns a boolean tensor. */
  check(value: Tensor): Tensor;
  /** Number of rightmost dims that form one event of the constraint (0 when absent). */
  readonly eventDim?: number;
}

/**
 * What a sample site's `fn` must provide. Draws have shape
 * `sampleShape + batchShape + eventShape`; `logProb` sums over event dims and returns a
 * tensor of the (broadcast) batch shape.
 */
export interface DistributionLike {
  /** Shape of independent, non-identical components. */
  readonly batchShape: Shape;
  /** Shape of one event (a single draw of a multivariate distribution). */
  readonly eventShape: Shape;
  /** Draw `sampleShape + batchShape + eventShape` values from `key`. */
  sample(key: Key, sampleShape?: Shape): Tensor;
  /** Log-density of `value`, summed over the event dims. */
  logProb(value: Tensor): Tensor;
  /** The same distribution broadcast to a larger batch shape. */
  expand(batchShape: Shape): DistributionLike;
  /** A pathwise-differentiable draw; used instead of `sample` when `reparametrized`. */
  rsample?(key: Key, sampleShape?: Shape): Tensor;
  /** Whether `rsample` gives pathwise gradients. */
  readonly reparametrized?: boolean;
  /** The set of values with positive density. */
  readonly support?: ConstraintLike;
  /** A copy whose log-probs are zeroed where `mask` is false (NumPyro's MaskedDistribution). */
  mask?(mask: Tensor | boolean): DistributionLike;
}

/** Number of event dims of a distribution-like object. */
export function eventDimOf(d: DistributionLike): number {
  return d.eventShape.length;
}

/** Runtime test for the structural interface (used to give clear errors at sample sites). */
export function isDistributionLike(x: unknown): x is DistributionLike {
  if (x === null || typeof x !== "object") return false;
  const d = x as Partial<DistributionLike>;
  return (
    typeof d.sample === "function" &&
    typeof d.logProb === "function" &&
    typeof d.expand === "function" &&
    Array.isArray(d.batchShape) &&
    Array.isArray(d.eventShape)
  );
}
