/**
 * The unconstrained parameter family of SCRIBE (SCRIBE constrained/unconstrained modes): a Normal(loc, scale) pushed
 * through a fixed transform (sigmoid for (0, 1), softplus or exp for positive values,
 * identity for reals). Model and guide use the same class, so the mean-field ELBO can use the
 * closed-form KL of the underlying Normals.
 * @module
 */
import type { Tensor } from "@scribe/core";
import {
  ExpTransform,
  IdentityTransform,
  kl,
  Normal,
  registerKL,
  SigmoidTransform,
  SoftplusTransform,
  type Transform,
  TransformedDistribution,
} from "@scribe/distributions";

/** Name of a transform from the unconstrained line to a parameter's support. */
export type TransformName = "sigmoid" | "softplus" | "exp" | "identity";

/** The transform object for a {@link TransformName}. */
export function makeTransform(name: TransformName): Transform {
  switch (name) {
    case "sigmoid":
      return new SigmoidTransform();
    case "softplus":
      return new SoftplusTransform();
    case "exp":
      return new ExpTransform();
    case "identity":
      return new IdentityTransform();
  }
}

/**
 * T(Normal(loc, scale)) with T named by `transform`. `loc`/`scale` broadcast to the batch shape.
 * KL(TransformedNormal ‖ TransformedNormal) with the same transform is the KL of the Normals.
 * @example
 * const p = new TransformedNormal(0, 1, "sigmoid"); // SCRIBE's unconstrained prior on p
 */
export class TransformedNormal extends TransformedDistribution {
  /** The transform's name. */
  readonly transformName: TransformName;

  constructor(
    readonly loc: Tensor | number,
    readonly scale: Tensor | number,
    transform: TransformName,
  ) {
    super(new Normal(loc, scale, false), makeTransform(transform), false);
    this.transformName = transform;
  }

  /** The base Normal. */
  get base(): Normal {
    return this.baseDist as Normal;
  }
}

registerKL(TransformedNormal, TransformedNormal, (p, q) => {
  if (p.transformName !== q.transformName)
    throw new Error(`no closed form KL between transforms ${p.transformName} and ${q.transformName}`);
  return kl(p.base, q.base);
});
