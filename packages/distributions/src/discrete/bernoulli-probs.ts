import {
  broadcastTo,
  ge,
  type Key,
  lt,
  mul,
  neg,
  random,
  type Shape,
  sub,
  type Tensor,
  where,
  xlog1py,
  xlogy,
} from "@scribe/core";
import { boolean as booleanC, unitInterval } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { booleanSupport } from "./enumerate-support.js";

/**
 * Bernoulli distribution parameterized by the probability of a one.
 * @example
 * const d = new BernoulliProbs(tensor([0.2, 0.9]));
 * d.logProb(tensor([1, 0])); // [log 0.2, log 0.1]
 */
export class BernoulliProbs extends Distribution {
  static override readonly argConstraints = { probs: unitInterval };
  static override readonly support = booleanC;
  static override readonly reparametrized = false;

  /** P(x = 1), broadcast to the batch shape. */
  readonly probs: Tensor;

  constructor(probs: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("BernoulliProbs", { probs });
    super(batchShape, [], validateArgs);
    this.probs = values.probs;
    checkArgs(this, values);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return random.bernoulli(key, this.probs, this.shape(sampleShape), { dtype: this.probs.dtype });
  }

  logProb(value: Tensor): Tensor {
    const x = asValue(value, this.probs.dtype);
    return maskOutOfSupport(this, value, bernoulliLogProbFromProbs(x, this.probs));
  }

  /**
   * The support {0, 1} on a leading axis (NumPyro's `enumerate_support`): shape [2, 1, …]
   * (one unit axis per batch axis), or [2, ...batchShape] with `expand`.
   */
  enumerateSupport(expand = true): Tensor {
    return booleanSupport(this.batchShape, this.probs.dtype, expand);
  }

  override get mean(): Tensor {
    return this.probs;
  }

  override get variance(): Tensor {
    return mul(this.probs, sub(1, this.probs));
  }

  override cdf(value: Tensor): Tensor {
    const x = asValue(value, this.probs.dtype);
    return where(lt(x, 0), 0, where(ge(x, 1), 1, broadcastTo(sub(1, this.probs), this.batchShape)));
  }

  override entropy(): Tensor {
    const p = this.probs;
    return neg(xlogy(p, p)).sub(xlog1py(sub(1, p), neg(p)));
  }
}

/** x log p + (1 − x) log(1 − p), with 0·log 0 = 0. @internal */
export function bernoulliLogProbFromProbs(x: Tensor, p: Tensor): Tensor {
  return xlogy(x, p).add(xlog1py(sub(1, x), neg(p)));
}
