import type { Shape, Tensor } from "@scribe/core";
import { type Constraint, independent } from "../constraints.js";
import { sumRightmost } from "../param-utils.js";
import { Transform } from "./transform.js";

/** Treat the rightmost `reinterpretedBatchNdims` axes of a base transform as event axes (its log-Jacobian is summed over them). */
export class IndependentTransform extends Transform {
  constructor(
    readonly base: Transform,
    readonly reinterpretedBatchNdims: number,
  ) {
    super();
  }
  get domain(): Constraint {
    return independent(this.base.domain, this.reinterpretedBatchNdims);
  }
  get codomain(): Constraint {
    return independent(this.base.codomain, this.reinterpretedBatchNdims);
  }
  forward(x: Tensor): Tensor {
    return this.base.forward(x);
  }
  inverse(y: Tensor): Tensor {
    return this.base.inverse(y);
  }
  override drawForward(x: Tensor): Tensor {
    return this.base.drawForward(x);
  }
  override drawInverse(y: Tensor): Tensor {
    return this.base.drawInverse(y);
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return sumRightmost(this.base.logAbsDetJacobian(x, y), this.reinterpretedBatchNdims);
  }
  override forwardShape(shape: Shape): number[] {
    return this.base.forwardShape(shape);
  }
  override inverseShape(shape: Shape): number[] {
    return this.base.inverseShape(shape);
  }
  override toString(): string {
    return `IndependentTransform(${this.base.toString()}, ${this.reinterpretedBatchNdims})`;
  }
}
