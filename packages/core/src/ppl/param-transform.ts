/**
 * The hook through which inference code maps constrained params to an unconstrained space.
 * Core knows constraints only structurally; the infer package installs a `bijectTo`-like
 * function here (from `@scribe/distributions`, explicitly: infer/src/install-transforms.ts), so
 * core never depends on it.
 * @module
 */
import type { Tensor } from "../tensor/tensor.js";
import type { ConstraintLike } from "./distribution-like.js";

/** A bijection between an unconstrained space and a constraint's set. */
export interface ParamBijection {
  /** Unconstrained → constrained. */
  forward(u: Tensor): Tensor;
  /** Constrained → unconstrained. */
  inverse(x: Tensor): Tensor;
}

/** Builds the bijection for a constraint (e.g. `bijectTo` from the distributions package). */
export type ParamTransformFactory = (constraint: ConstraintLike) => ParamBijection;

let factory: ParamTransformFactory | null = null;

const identity: ParamBijection = { forward: (u) => u, inverse: (x) => x };

/**
 * Install the function that maps a constraint to its bijection (pass `null` to remove it).
 * @example
 * import { bijectTo, type Constraint } from "@scribe/distributions";
 * setParamTransform((c) => bijectTo(c as Constraint)); // what @scribe/infer's ensureParamTransform() does
 */
export function setParamTransform(f: ParamTransformFactory | null): void {
  factory = f;
}

/** Whether a transform factory is installed. */
export function hasParamTransform(): boolean {
  return factory !== null;
}

/**
 * The bijection for a param's constraint: identity for no constraint; otherwise the
 * installed factory's (an error names the fix when none is installed).
 * @example
 * paramTransform(null).forward(tensor([-1, 2])); // [-1, 2]: no constraint, identity
 * paramTransform(positive).forward(tensor(0)).item(); // 1: exp maps ℝ onto (0, ∞)
 */
export function paramTransform(constraint: ConstraintLike | null | undefined): ParamBijection {
  if (!constraint) return identity;
  if (!factory)
    throw new Error(
      "a constrained param needs a transform to the unconstrained space, but none is installed; call setParamTransform(bijectTo) (ensureParamTransform() from @scribe/infer does this; its entry and SVI call it)",
    );
  return factory(constraint);
}
