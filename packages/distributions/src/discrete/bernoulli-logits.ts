import {
  ge,
  type Key,
  logSigmoid,
  lt,
  mul,
  neg,
  random,
  type Shape,
  sigmoid,
  softplus,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { boolean as booleanC, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { booleanSupport } from "./enumerate-support.js";

/**
 * Bernoulli distribution parameterized by the log-odds of a one; the log-pmf stays in
 * log-sigmoid form, so large |logits| do not round to log 0.
 * @example
 * new BernoulliLogits(tensor([0, 3])).logProb(tensor([1, 1]));
 */
export class BernoulliLogits extends Distribution {
  static override readonly argConstraints = { logits: real };
  static override readonly support = booleanC;
  static override readonly reparametrized = false;

  /** log(p / (1 − p)), broadcast to the batch shape. */
  readonly logits: Tensor;

  constructor(logits: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("BernoulliLogits", { logits });
    super(batchShape, [], validateArgs);
    this.logits = values.logits;
    checkArgs(this, values);
  }

  /** P(x = 1) = sigmoid(logits). */
  get probs(): Tensor {
    return sigmoid(this.logits);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    // the portable logistic function, so that one key gives the same draws in every engine
    const p = random.portableSigmoid(this.logits);
    return random.bernoulli(key, p, this.shape(sampleShape), { dtype: this.logits.dtype });
  }

  logProb(value: Tensor): Tensor {
    const x = asValue(value, this.logits.dtype);
    const l = this.logits;
    return maskOutOfSupport(this, value, mul(x, logSigmoid(l)).add(mul(sub(1, x), logSigmoid(neg(l)))));
  }

  /**
   * The support {0, 1} on a leading axis (NumPyro's `enumerate_support`): shape [2, 1, …]
   * (one unit axis per batch axis), or [2, ...batchShape] with `expand`.
   */
  enumerateSupport(expand = true): Tensor {
    return booleanSupport(this.batchShape, this.logits.dtype, expand);
  }

  override get mean(): Tensor {
    return this.probs;
  }

  override get variance(): Tensor {
    const p = this.probs;
    return mul(p, sub(1, p));
  }

  override cdf(value: Tensor): Tensor {
    const x = asValue(value, this.logits.dtype);
    return where(lt(x, 0), 0, where(ge(x, 1), 1, sigmoid(neg(this.logits))));
  }

  override entropy(): Tensor {
    const l = this.logits;
    return softplus(l).sub(mul(l, sigmoid(l)));
  }
}
