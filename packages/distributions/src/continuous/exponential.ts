import {
  broadcastTo,
  div,
  expm1,
  type Key,
  log,
  log1p,
  mul,
  neg,
  random,
  reciprocal,
  type Shape,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import { nonnegative, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";
import { openUniform } from "./helpers.js";

/**
 * Exponential distribution with `rate` λ: density λ·exp(−λx) on x ≥ 0.
 * @example
 * new Exponential(2).logProb(tensor([0.5])); // [log 2 − 1]
 */
export class Exponential extends Distribution {
  static override readonly argConstraints = { rate: positive };
  static override readonly support = nonnegative;
  static override readonly reparametrized = true;

  /** Rate λ (inverse mean). */
  readonly rate: Tensor;

  constructor(rate: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Exponential", { rate });
    super(batchShape, [], validateArgs);
    this.rate = values.rate;
    if (this.validateArgs) check("Exponential", values, Exponential.argConstraints);
  }

  /** −log(u)/λ with u uniform on (0, 1). */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    // portable log: the same bits in every JavaScript engine for one key (issue 22, item 6)
    const u = openUniform(key, this.shape(sampleShape), this.rate.dtype);
    return div(neg(random.portableLog(u)), this.rate);
  }

  logProb(value: Tensor): Tensor {
    return maskOutOfSupport(this, value, sub(log(this.rate), mul(this.rate, value)));
  }

  override get mean(): Tensor {
    return reciprocal(this.rate);
  }

  override get variance(): Tensor {
    return reciprocal(square(this.rate));
  }

  override cdf(value: Tensor): Tensor {
    return neg(expm1(neg(mul(this.rate, value))));
  }

  override icdf(q: Tensor): Tensor {
    return div(neg(log1p(neg(q))), this.rate);
  }

  override entropy(): Tensor {
    return broadcastTo(sub(1, log(this.rate)), this.batchShape);
  }
}
