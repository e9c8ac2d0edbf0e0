import {
  exp,
  type Key,
  lfactorial,
  logsumexp,
  mul,
  type Shape,
  sub,
  sum,
  type Tensor,
  unsqueeze,
} from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { nonnegativeInteger, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { sampleMultinomial } from "./multinomial-sampler.js";
import { multinomial } from "./multinomial-support.js";

/**
 * Multinomial(totalCount n, logits l): as {@link MultinomialProbs} with probs = softmax(l)
 * on the last axis, the log-pmf computed from log-softmax.
 * @example
 * new MultinomialLogits(4, tensor([0, 0, 1])).sample(key(0), [2]);
 */
export class MultinomialLogits extends Distribution {
  static override readonly argConstraints = { totalCount: nonnegativeInteger, logits: real };
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Number of draws, shape batchShape. */
  readonly totalCount: Tensor;
  /** Unnormalized logits, shape batchShape + [K]. */
  readonly logits: Tensor;

  constructor(totalCount: ParamLike, logits: ParamLike, validateArgs?: boolean) {
    if (typeof logits === "number" || logits.rank < 1)
      throw new Error("MultinomialLogits: logits needs a category axis (shape [..., K])");
    const { values, batchShape } = promoteParams("MultinomialLogits", { totalCount, logits }, { logits: 1 });
    super(batchShape, [values.logits.shape[values.logits.rank - 1]!], validateArgs);
    this.totalCount = values.totalCount;
    this.logits = values.logits;
    checkArgs(this, values);
  }

  /** Softmax of the logits. */
  get probs(): Tensor {
    return exp(sub(this.logits, logsumexp(this.logits, -1, true)));
  }

  override get support(): Constraint {
    return multinomial(this.totalCount);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return sampleMultinomial(key, this.totalCount, this.probs, [...sampleShape, ...this.batchShape]);
  }

  logProb(value: Tensor): Tensor {
    const x = asValue(value, this.logits.dtype);
    const logp = sub(this.logits, logsumexp(this.logits, -1, true));
    return maskOutOfSupport(
      this,
      value,
      lfactorial(this.totalCount)
        .sub(sum(lfactorial(x), -1))
        .add(sum(mul(x, logp), -1)),
    );
  }

  override get mean(): Tensor {
    return mul(this.probs, unsqueeze(this.totalCount, this.totalCount.rank));
  }

  override get variance(): Tensor {
    return mul(this.mean, sub(1, this.probs));
  }
}
