import { clamp, finfoEps, log, log1p, neg, sigmoid, softplus, sub, type Tensor } from "@scribe/core";
import { type Constraint, real, unitInterval } from "../constraints.js";
import { Transform } from "./transform.js";

/**
 * y = 1 / (1 + e⁻ˣ): reals → (0, 1), clipped to [tiny, 1 − eps] so the image stays inside the
 * open interval; inverse logit; log |dy/dx| = −softplus(x) − softplus(−x).
 */
export class SigmoidTransform extends Transform {
  get domain(): Constraint {
    return real;
  }
  get codomain(): Constraint {
    return unitInterval;
  }
  forward(x: Tensor): Tensor {
    const eps = finfoEps(x.dtype);
    const tiny = x.dtype === "float64" ? 2.2250738585072014e-308 : 1.1754943508222875e-38;
    return clamp(sigmoid(x), tiny, 1 - eps);
  }
  inverse(y: Tensor): Tensor {
    return sub(log(y), log1p(neg(y)));
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return neg(softplus(x)).sub(softplus(neg(x)));
  }
  override get sign(): number {
    return 1;
  }
}
