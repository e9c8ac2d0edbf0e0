import type { Shape, Tensor } from "@scribe/core";
import type { Constraint } from "../constraint.js";

/**
 * A bijection between two constrained spaces, with the log |det Jacobian| needed for change of
 * variables. `logAbsDetJacobian(x, y)` has the shape of `x` minus the domain's event axes.
 */
export abstract class Transform {
  /** Where `forward` is defined. */
  abstract get domain(): Constraint;
  /** Where `forward` lands. */
  abstract get codomain(): Constraint;
  /** y = f(x). */
  abstract forward(x: Tensor): Tensor;
  /** x = f⁻¹(y). */
  abstract inverse(y: Tensor): Tensor;
  /** log |det ∂y/∂x|, reduced over the domain's event axes. */
  abstract logAbsDetJacobian(x: Tensor, y: Tensor): Tensor;

  /**
   * y = f(x) for a draw (`TransformedDistribution.sample`/`rsample`): the same map as
   * {@link forward}, with exp/log and friends computed by core's portable ops, so that one key
   * gives the same bits in every JavaScript engine (issue 22, item 6); gradients as `forward`'s.
   * The default is `forward` itself, right for maps built from +, −, ×, ÷, sqrt, sums and
   * indexing only (affine, identity, Cholesky): IEEE rounds those the same way everywhere.
   */
  drawForward(x: Tensor): Tensor {
    return this.forward(x);
  }

  /** x = f⁻¹(y) with portable math: the draw map of the inverse transform (see {@link drawForward}). */
  drawInverse(y: Tensor): Tensor {
    return this.inverse(y);
  }

  private _inv: Transform | null = null;

  /** The inverse transform (cached; `t.inv.inv === t`). */
  get inv(): Transform {
    if (!this._inv) {
      const i = new InverseTransform(this);
      this._inv = i;
      (i as unknown as { _inv: Transform })._inv = this;
    }
    return this._inv;
  }

  /** Shape of `forward(x)` for an input of `shape`. */
  forwardShape(shape: Shape): number[] {
    return [...shape];
  }

  /** Shape of `inverse(y)` for an input of `shape`. */
  inverseShape(shape: Shape): number[] {
    return [...shape];
  }

  /** +1 for increasing, −1 for decreasing scalar bijections; an error for vector transforms. */
  get sign(): number {
    throw new Error(`${this.constructor.name}: sign is defined only for monotone scalar transforms`);
  }

  /**
   * The sign of dy/dx: a number when it is the same everywhere ({@link sign}), or, for a
   * transform with a tensor parameter (an affine scale, a power), a tensor of ±1 per element,
   * computed without reading the parameter back.
   */
  signOf(): Tensor | number {
    return this.sign;
  }

  /** Readable name, e.g. `ExpTransform`. */
  toString(): string {
    return this.constructor.name;
  }
}

/** The inverse of a transform: swaps forward/inverse and negates the log-Jacobian. */
export class InverseTransform extends Transform {
  constructor(readonly base: Transform) {
    super();
  }
  get domain(): Constraint {
    return this.base.codomain;
  }
  get codomain(): Constraint {
    return this.base.domain;
  }
  forward(x: Tensor): Tensor {
    return this.base.inverse(x);
  }
  inverse(y: Tensor): Tensor {
    return this.base.forward(y);
  }
  override drawForward(x: Tensor): Tensor {
    return this.base.drawInverse(x);
  }
  override drawInverse(y: Tensor): Tensor {
    return this.base.drawForward(y);
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return this.base.logAbsDetJacobian(y, x).neg();
  }
  override forwardShape(shape: Shape): number[] {
    return this.base.inverseShape(shape);
  }
  override inverseShape(shape: Shape): number[] {
    return this.base.forwardShape(shape);
  }
  override get sign(): number {
    return this.base.sign;
  }
  override signOf(): Tensor | number {
    return this.base.signOf();
  }
  override toString(): string {
    return `${this.base.toString()}.inv`;
  }
}
