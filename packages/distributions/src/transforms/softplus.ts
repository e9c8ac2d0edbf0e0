import { add, neg, softplus, type Tensor } from "@scribe/core";
import { type Constraint, positive, real } from "../constraints.js";
import { drawMath, type ElementwiseMath, engineMath } from "./elementwise-math.js";
import { Transform } from "./transform.js";

/** The inverse of softplus: y + log(−expm1(−y)). */
function softplusInverse(y: Tensor, m: ElementwiseMath): Tensor {
  return add(y, m.log(neg(m.expm1(neg(y)))));
}

/** y = log(1 + eˣ): reals → positive reals; inverse y + log(−expm1(−y)); log |dy/dx| = −softplus(−x). */
export class SoftplusTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return positive;
  }
  forward(x: Tensor): Tensor {
    return engineMath.softplus(x);
  }
  inverse(y: Tensor): Tensor {
    return softplusInverse(y, engineMath);
  }
  override drawForward(x: Tensor): Tensor {
    return drawMath.softplus(x);
  }
  override drawInverse(y: Tensor): Tensor {
    return softplusInverse(y, drawMath);
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return neg(softplus(neg(x)));
  }
  override get sign(): number {
    return 1;
  }
}
