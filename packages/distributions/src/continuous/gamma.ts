import {
  add,
  broadcastTo,
  digamma,
  div,
  gammainc,
  type Key,
  lgamma,
  log,
  mul,
  random,
  type Shape,
  square,
  sub,
  type Tensor,
  xlogy,
} from "@scribe/core";
import { type Constraint, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";

/**
 * Gamma distribution with shape `concentration` α and `rate` β (mean α/β).
 * @example
 * new Gamma(2, 3).logProb(tensor([1])); // [2 log 3 − lgamma(2) − 3]
 */
export class Gamma extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {
    concentration: positive,
    rate: positive,
  };
  static override readonly support = positive;
  static override readonly reparametrized = true;

  /** Shape α. */
  readonly concentration: Tensor;
  /** Rate β. */
  readonly rate: Tensor;

  constructor(concentration: ParamLike, rate: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams(new.target.name, { concentration, rate });
    super(batchShape, [], validateArgs);
    this.concentration = values.concentration;
    this.rate = values.rate;
    if (this.validateArgs && new.target === Gamma) check("Gamma", values, Gamma.argConstraints);
  }

  /** Gamma(α, 1) draws (implicitly reparameterized in α) divided by β. */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const g = random.gamma(key, this.concentration, this.shape(sampleShape), {
      dtype: this.concentration.dtype,
    });
    return div(g, this.rate);
  }

  /** α log β − lgamma(α) + (α − 1) log x − β x, with xlogy so x = 0 works at α = 1. */
  logProb(value: Tensor): Tensor {
    const a = this.concentration;
    const lp = sub(add(sub(xlogy(a, this.rate), lgamma(a)), xlogy(sub(a, 1), value)), mul(this.rate, value));
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    return div(this.concentration, this.rate);
  }

  override get variance(): Tensor {
    return div(this.concentration, square(this.rate));
  }

  override cdf(value: Tensor): Tensor {
    return gammainc(this.concentration, mul(this.rate, value));
  }

  override entropy(): Tensor {
    const a = this.concentration;
    const e = add(sub(a, log(this.rate)), add(lgamma(a), mul(sub(1, a), digamma(a))));
    return broadcastTo(e, this.batchShape);
  }
}
