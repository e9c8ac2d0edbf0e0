import {
  add,
  betainc,
  betaln,
  broadcastTo,
  clamp,
  digamma,
  div,
  finfoEps,
  type Key,
  mul,
  neg,
  random,
  type Shape,
  square,
  sub,
  type Tensor,
  xlog1py,
  xlogy,
} from "@scribe/core";
import { positive, unitInterval } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";

/**
 * Beta distribution on [0, 1] with density x^(a−1) (1−x)^(b−1) / B(a, b), a = `concentration1`,
 * b = `concentration0`.
 * @example
 * new Beta(2, 3).mean; // [0.4]
 */
export class Beta extends Distribution {
  static override readonly argConstraints = { concentration1: positive, concentration0: positive };
  static override readonly support = unitInterval;
  static override readonly reparametrized = true;

  /** a: the exponent of x (pseudo-count of ones). */
  readonly concentration1: Tensor;
  /** b: the exponent of 1 − x (pseudo-count of zeros). */
  readonly concentration0: Tensor;

  constructor(concentration1: ParamLike, concentration0: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Beta", { concentration1, concentration0 });
    super(batchShape, [], validateArgs);
    this.concentration1 = values.concentration1;
    this.concentration0 = values.concentration0;
    if (this.validateArgs) check("Beta", values, Beta.argConstraints);
  }

  /**
   * `random.beta`: G_a / (G_a + G_b) from two gammas drawn in log space (tiny concentrations
   * such as 1e-4 give draws piled at the two ends with the right masses, not 0/0), differentiable
   * in both concentrations by implicit reparameterization.
   */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const dt = this.concentration1.dtype;
    const x = random.beta(key, this.concentration1, this.concentration0, this.shape(sampleShape), {
      dtype: dt,
    });
    // Keep draws inside the open interval, as NumPyro does: a draw can round to exactly 0 or 1,
    // where log-densities (and an ELBO's gradient) are not finite.
    const tiny = dt === "float64" ? 2.2250738585072014e-308 : 1.1754943508222875e-38;
    return clamp(x, tiny, 1 - finfoEps(dt) / 2);
  }

  /** xlogy(a − 1, x) + xlog1py(b − 1, −x) − betaln(a, b): exact at the endpoints when a or b is 1. */
  logProb(value: Tensor): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const lp = sub(add(xlogy(sub(a, 1), value), xlog1py(sub(b, 1), neg(value))), betaln(a, b));
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    return div(this.concentration1, add(this.concentration1, this.concentration0));
  }

  override get variance(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const t = add(a, b);
    return div(mul(a, b), mul(square(t), add(t, 1)));
  }

  override cdf(value: Tensor): Tensor {
    return betainc(this.concentration1, this.concentration0, value);
  }

  override entropy(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const t = add(a, b);
    const e = add(
      sub(sub(betaln(a, b), mul(sub(a, 1), digamma(a))), mul(sub(b, 1), digamma(b))),
      mul(sub(t, 2), digamma(t)),
    );
    return broadcastTo(e, this.batchShape);
  }
}
