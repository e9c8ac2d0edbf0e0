import { type Tensor, abs, div, log, mul, pow } from "@scribe/core";
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
  override get sign(): number {
    if (typeof this.exponent === "number") return Math.sign(this.exponent);
    const s = this.exponent.dataSync();
    if (s.every((v) => v > 0)) return 1;
    if (s.every((v) => v < 0)) return -1;
    throw new Error("PowerTransform: sign is not constant over a mixed-sign exponent");
  }
}
