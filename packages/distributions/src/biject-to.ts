import { sub, type Tensor } from "@scribe/core";
import {
  boundsOf,
  type Constraint,
  type IndependentConstraint,
  positive,
  unitInterval,
} from "./constraints.js";
import { AffineTransform } from "./transforms/affine.js";
import { CholeskyTransform } from "./transforms/cholesky.js";
import { ComposeTransform } from "./transforms/compose.js";
import { CorrCholeskyTransform } from "./transforms/corr-cholesky.js";
import { ExpTransform } from "./transforms/exp.js";
import { IdentityTransform } from "./transforms/identity.js";
import { IndependentTransform } from "./transforms/independent.js";
import { LowerCholeskyTransform } from "./transforms/lower-cholesky.js";
import { OrderedTransform } from "./transforms/ordered.js";
import { SigmoidTransform } from "./transforms/sigmoid.js";
import { StickBreakingTransform } from "./transforms/stick-breaking.js";
import type { Transform } from "./transforms/transform.js";

/** Builds the bijection from unconstrained space onto a constraint of a given kind. */
export type TransformFactory = (c: Constraint) => Transform;

const registry = new Map<string, TransformFactory>();

/**
 * Register (or replace) the factory used by {@link bijectTo} for constraints whose `name` is `kind`.
 * The registry is the process's: replacing a built-in kind ("positive") changes every later
 * fit's unconstrained parameterization.
 * @example
 * registerBijection("softplus_positive", () => new SoftplusTransform()); // a constraint of that name now maps through softplus
 */
export function registerBijection(kind: string, factory: TransformFactory): void {
  registry.set(kind, factory);
}

/**
 * The bijection from unconstrained reals (of the right shape) onto `constraint`, looked up by
 * the constraint's kind. Throws, naming the constraint, when no bijection is registered.
 * @example
 * const t = bijectTo(positive); // ExpTransform
 * t.forward(tensor([0])); // [1]
 */
export function bijectTo(constraint: Constraint): Transform {
  const f = registry.get(constraint.name);
  if (!f)
    throw new Error(
      `bijectTo: no transform is registered for constraint ${constraint.toString()}; register one with registerBijection("${constraint.name}", factory)`,
    );
  return f(constraint);
}

type Bound = Tensor | number;
const diff = (hi: Bound, lo: Bound): Bound =>
  typeof hi === "number" && typeof lo === "number" ? hi - lo : sub(hi, lo);

registerBijection("real", () => new IdentityTransform());
registerBijection("positive", () => new ExpTransform());
registerBijection("nonnegative", () => new ExpTransform());
registerBijection(
  "greaterThan",
  (c) =>
    new ComposeTransform([new ExpTransform(), new AffineTransform(boundsOf(c).lowerBound!, 1, positive)]),
);
registerBijection(
  "greaterThanEq",
  (c) =>
    new ComposeTransform([new ExpTransform(), new AffineTransform(boundsOf(c).lowerBound!, 1, positive)]),
);
registerBijection(
  "lessThan",
  (c) =>
    new ComposeTransform([new ExpTransform(), new AffineTransform(boundsOf(c).upperBound!, -1, positive)]),
);
registerBijection("unitInterval", () => new SigmoidTransform());
registerBijection("interval", (c) => {
  const { lowerBound: lo, upperBound: hi } = boundsOf(c);
  return new ComposeTransform([
    new SigmoidTransform(),
    new AffineTransform(lo!, diff(hi!, lo!), unitInterval),
  ]);
});
registerBijection("simplex", () => new StickBreakingTransform());
registerBijection("independent", (c) => {
  const ic = c as IndependentConstraint;
  return new IndependentTransform(bijectTo(ic.base), ic.reinterpretedBatchNdims);
});
registerBijection("lowerCholesky", () => new LowerCholeskyTransform());
registerBijection("corrCholesky", () => new CorrCholeskyTransform());
registerBijection(
  "positiveDefinite",
  () => new ComposeTransform([new LowerCholeskyTransform(), new CholeskyTransform().inv]),
);
registerBijection("orderedVector", () => new OrderedTransform());
