import { exp, log, random, type Tensor } from "@scribe/core";
import { type Constraint, positive, real } from "../constraints.js";
import { Transform } from "./transform.js";

/** y = exp(x): reals → positive reals; log |dy/dx| = x. */
export class ExpTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return positive;
  }
  forward(x: Tensor): Tensor {
    return exp(x);
  }
  inverse(y: Tensor): Tensor {
    return log(y);
  }
  override drawForward(x: Tensor): Tensor {
    return random.portableExp(x);
  }
  override drawInverse(y: Tensor): Tensor {
    return random.portableLog(y);
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return x;
  }
  override get sign(): number {
    return 1;
  }
}
