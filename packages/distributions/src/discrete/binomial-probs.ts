import { type Key, mul, neg, random, type Shape, sub, type Tensor, xlog1py, xlogy } from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { integerInterval, nonnegativeInteger, unitInterval } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { logBinomialCoefficient } from "./combinatorics.js";

/**
 * Binomial(totalCount n, probs p): the number of successes in n independent trials.
 * @example
 * new BinomialProbs(10, tensor([0.3])).logProb(tensor([3]));
 */
export class BinomialProbs extends Distribution {
  static override readonly argConstraints = { totalCount: nonnegativeInteger, probs: unitInterval };
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Number of trials, broadcast to the batch shape. */
  readonly totalCount: Tensor;
  /** Success probability, broadcast to the batch shape. */
  readonly probs: Tensor;

  constructor(totalCount: ParamLike, probs: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("BinomialProbs", { totalCount, probs });
    super(batchShape, [], validateArgs);
    this.totalCount = values.totalCount;
    this.probs = values.probs;
    checkArgs(this, values);
  }

  override get support(): Constraint {
    return integerInterval(0, this.totalCount);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return random.binomial(key, this.totalCount, this.probs, this.shape(sampleShape), {
      dtype: this.probs.dtype,
    });
  }

  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.probs.dtype);
    const n = this.totalCount;
    return maskOutOfSupport(
      this,
      value,
      logBinomialCoefficient(n, k)
        .add(xlogy(k, this.probs))
        .add(xlog1py(sub(n, k), neg(this.probs))),
    );
  }

  override get mean(): Tensor {
    return mul(this.totalCount, this.probs);
  }

  override get variance(): Tensor {
    return mul(this.mean, sub(1, this.probs));
  }
}
