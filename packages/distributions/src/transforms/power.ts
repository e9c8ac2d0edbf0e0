import { abs, div, log, mul, pow, sign, type Tensor } from "@scribe/core";
import { type Constraint, positive } from "../constraints.js";
import { Transform } from "./transform.js";

/** y = xᵖ on the positive reals; log |dy/dx| = log |p · y / x|. */
export class PowerTransform extends Transform {
  constructor(readonly exponent: Tensor | number) {
    super();
  }
  get domain(): Constraint {
    return positive;
  }
  get codomain(): Constraint {
    return positive;
  }
  forward(x: Tensor): Tensor {
    return pow(x, this.exponent);
  }
  inverse(y: Tensor): Tensor {
    return pow(y, typeof this.exponent === "number" ? 1 / this.exponent : div(1, this.exponent));
  }
  logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return log(abs(div(mul(y, this.exponent), x)));
  }
  /**
   * The sign of a numeric exponent. A tensor exponent has a sign per element, known only on the
   * device: use {@link signOf} (this throws rather than read it back).
   */
  override get sign(): number {
    if (typeof this.exponent === "number") return Math.sign(this.exponent);
    if (this.exponent._weakValue !== null) return Math.sign(this.exponent._weakValue);
    throw new Error("PowerTransform: the sign of a tensor exponent is elementwise; use signOf()");
  }
  override signOf(): Tensor | number {
    return typeof this.exponent === "number" ? Math.sign(this.exponent) : sign(this.exponent);
  }
}
