import { clamp, finfoEps, neg, softplus, sub, type Tensor } from "@scribe/core";
import { type Constraint, real, unitInterval } from "../constraints.js";
import { drawMath, type ElementwiseMath, engineMath } from "./elementwise-math.js";
import { Transform } from "./transform.js";

/** σ(x), clipped to [tiny, 1 − eps] so that the image stays inside the open interval. */
function clippedSigmoid(x: Tensor, m: ElementwiseMath): Tensor {
  const eps = finfoEps(x.dtype);
  const tiny = x.dtype === "float64" ? 2.2250738585072014e-308 : 1.1754943508222875e-38;
  return clamp(m.sigmoid(x), tiny, 1 - eps);
}

/** logit y = log y − log(1 − y). */
function logit(y: Tensor, m: ElementwiseMath): Tensor {
  return sub(m.log(y), m.log1p(neg(y)));
}

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
    return clippedSigmoid(x, engineMath);
  }
  inverse(y: Tensor): Tensor {
    return logit(y, engineMath);
  }
  override drawForward(x: Tensor): Tensor {
    return clippedSigmoid(x, drawMath);
  }
  override drawInverse(y: Tensor): Tensor {
    return logit(y, drawMath);
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return neg(softplus(x)).sub(softplus(neg(x)));
  }
  override get sign(): number {
    return 1;
  }
}
