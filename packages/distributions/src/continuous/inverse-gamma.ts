import {
  add,
  broadcastTo,
  digamma,
  div,
  gammaincc,
  gt,
  type Key,
  lgamma,
  log,
  mul,
  random,
  type Shape,
  square,
  sub,
  type Tensor,
  where,
  xlogy,
} from "@scribe/core";
import { positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";

/**
 * Inverse-gamma distribution: 1/X for X ~ Gamma(concentration α, rate β); β acts as the scale
 * (density ∝ x^(−α−1) e^(−β/x)).
 * @example
 * new InverseGamma(3, 2).mean; // [1]
 */
export class InverseGamma extends Distribution {
  static override readonly argConstraints = { concentration: positive, rate: positive };
  static override readonly support = positive;
  static override readonly reparametrized = true;

  /** Shape α. */
  readonly concentration: Tensor;
  /** β (the rate of the reciprocal gamma variable; the scale of this one). */
  readonly rate: Tensor;

  constructor(concentration: ParamLike, rate: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("InverseGamma", { concentration, rate });
    super(batchShape, [], validateArgs);
    this.concentration = values.concentration;
    this.rate = values.rate;
    if (this.validateArgs) check("InverseGamma", values, InverseGamma.argConstraints);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const g = random.gamma(key, this.concentration, this.shape(sampleShape), {
      dtype: this.concentration.dtype,
    });
    return div(this.rate, g);
  }

  /** α log β − lgamma(α) − (α + 1) log x − β/x. */
  logProb(value: Tensor): Tensor {
    const a = this.concentration;
    const lp = sub(sub(sub(xlogy(a, this.rate), lgamma(a)), xlogy(add(a, 1), value)), div(this.rate, value));
    return maskOutOfSupport(this, value, lp);
  }

  /** β/(α − 1) for α > 1, +∞ otherwise. */
  override get mean(): Tensor {
    const a = this.concentration;
    return where(gt(a, 1), div(this.rate, sub(a, 1)), Infinity);
  }

  /** β²/((α − 1)²(α − 2)) for α > 2, +∞ otherwise. */
  override get variance(): Tensor {
    const a = this.concentration;
    return where(gt(a, 2), div(square(this.rate), mul(square(sub(a, 1)), sub(a, 2))), Infinity);
  }

  override cdf(value: Tensor): Tensor {
    return gammaincc(this.concentration, div(this.rate, value));
  }

  override entropy(): Tensor {
    const a = this.concentration;
    const e = sub(add(add(a, log(this.rate)), lgamma(a)), mul(add(a, 1), digamma(a)));
    return broadcastTo(e, this.batchShape);
  }
}
