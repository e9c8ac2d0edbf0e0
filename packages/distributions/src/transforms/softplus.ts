import { add, expm1, log, neg, softplus, type Tensor } from "@scribe/core";
import { type Constraint, positive, real } from "../constraints.js";
import { Transform } from "./transform.js";

/** y = log(1 + eˣ): reals → positive reals; inverse y + log(−expm1(−y)); log |dy/dx| = −softplus(−x). */
export class SoftplusTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return positive;
  }
  forward(x: Tensor): Tensor {
    return softplus(x);
  }
  inverse(y: Tensor): Tensor {
    return add(y, log(neg(expm1(neg(y)))));
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return neg(softplus(neg(x)));
  }
  override get sign(): number {
    return 1;
  }
}
