import { type Tensor, zerosLike } from "@scribe/core";
import { type Constraint, real } from "../constraints.js";
import { Transform } from "./transform.js";

/** y = x on the reals. */
export class IdentityTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return real;
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  inverse(y: Tensor): Tensor {
    return y;
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return zerosLike(x);
  }
  override get sign(): number {
    return 1;
  }
}
