import { type Key, lfactorial, mul, type Shape, sub, sum, type Tensor, unsqueeze, xlogy } from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { nonnegativeInteger, simplex } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { sampleMultinomial } from "./multinomial-sampler.js";
import { multinomial } from "./multinomial-support.js";

/**
 * Multinomial(totalCount n, probs p): counts of n draws over K categories (event shape [K],
 * probabilities on the last axis of `probs`).
 * @example
 * new MultinomialProbs(10, tensor([0.2, 0.3, 0.5])).logProb(tensor([2, 3, 5]));
 */
export class MultinomialProbs extends Distribution {
  static override readonly argConstraints = { totalCount: nonnegativeInteger, probs: simplex };
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Number of draws, shape batchShape. */
  readonly totalCount: Tensor;
  /** Category probabilities, shape batchShape + [K]. */
  readonly probs: Tensor;

  constructor(totalCount: ParamLike, probs: ParamLike, validateArgs?: boolean) {
    if (typeof probs === "number" || probs.rank < 1)
      throw new Error("MultinomialProbs: probs needs a category axis (shape [..., K])");
    const { values, batchShape } = promoteParams("MultinomialProbs", { totalCount, probs }, { probs: 1 });
    super(batchShape, [values.probs.shape[values.probs.rank - 1]!], validateArgs);
    this.totalCount = values.totalCount;
    this.probs = values.probs;
    checkArgs(this, values);
  }

  override get support(): Constraint {
    return multinomial(this.totalCount);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return sampleMultinomial(key, this.totalCount, this.probs, [...sampleShape, ...this.batchShape]);
  }

  logProb(value: Tensor): Tensor {
    const x = asValue(value, this.probs.dtype);
    return maskOutOfSupport(
      this,
      value,
      lfactorial(this.totalCount)
        .sub(sum(lfactorial(x), -1))
        .add(sum(xlogy(x, this.probs), -1)),
    );
  }

  override get mean(): Tensor {
    return mul(this.probs, unsqueeze(this.totalCount, this.totalCount.rank));
  }

  override get variance(): Tensor {
    return mul(this.mean, sub(1, this.probs));
  }
}
