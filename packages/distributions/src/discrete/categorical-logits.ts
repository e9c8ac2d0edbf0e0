import {
  type Key, type Shape, type Tensor, exp, full, logsumexp, mul, neg, random, sub, sum, where, eq,
} from "@scribe/core";
import { Distribution } from "../distribution.js";
import { maskOutOfSupport } from "../validation.js";
import { integerInterval, real } from "../constraints.js";
import type { Constraint } from "../constraints.js";
import { type ParamLike, checkArgs, promoteParams } from "../param-utils.js";
import { oneHot } from "./categorical-probs.js";

/**
 * Categorical distribution over {0, …, K−1} parameterized by unnormalized log-probabilities
 * on the last axis: log p(k) = logits[k] − logsumexp(logits).
 * @example
 * new CategoricalLogits(tensor([0, 1, -1])).logProb(tensor([1]));
 */
export class CategoricalLogits extends Distribution {
  static override readonly argConstraints = { logits: real };
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Unnormalized logits, shape batchShape + [K]. */
  readonly logits: Tensor;

  constructor(logits: ParamLike, validateArgs?: boolean) {
    if (typeof logits === "number" || logits.rank < 1) throw new Error("CategoricalLogits: logits needs a category axis (shape [..., K])");
    const { values, batchShape } = promoteParams("CategoricalLogits", { logits }, { logits: 1 });
    super(batchShape, [], validateArgs);
    this.logits = values.logits;
    checkArgs(this, values);
  }

  /** Number of categories K. */
  get numCategories(): number {
    return this.logits.shape[this.logits.rank - 1]!;
  }

  override get support(): Constraint {
    return integerInterval(0, this.numCategories - 1);
  }

  /** Normalized log-probabilities (log-softmax of the logits). */
  get normalizedLogits(): Tensor {
    return sub(this.logits, logsumexp(this.logits, -1, true));
  }

  /** Softmax of the logits. */
  get probs(): Tensor {
    return exp(this.normalizedLogits);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return random.categorical(key, this.logits, this.shape(sampleShape));
  }

  logProb(value: Tensor): Tensor {
    const hot = oneHot(value, this.numCategories, this.logits.dtype);
    const picked = sum(where(eq(hot, 1), this.logits, 0), -1);
    return maskOutOfSupport(this, value, sub(picked, logsumexp(this.logits, -1)));
  }

  override get mean(): Tensor {
    return full(this.batchShape, Number.NaN, this.logits.dtype);
  }

  override get variance(): Tensor {
    return full(this.batchShape, Number.NaN, this.logits.dtype);
  }

  override entropy(): Tensor {
    const lp = this.normalizedLogits;
    return neg(sum(mul(exp(lp), lp), -1));
  }
}
