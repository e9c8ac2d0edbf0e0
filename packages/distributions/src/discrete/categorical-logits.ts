import {
  add,
  eq,
  exp,
  full,
  isfinite,
  type Key,
  log1p,
  max,
  mul,
  neg,
  random,
  type Shape,
  sub,
  sum,
  type Tensor,
  where,
} from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { integerInterval, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { oneHot } from "./categorical-probs.js";
import { integerRangeSupport } from "./enumerate-support.js";

/**
 * Log-softmax over the last axis, accurate for every entry: (x − m) − log1p(r), m the maximum,
 * r = Σ_{x<m} e^{x−m} + (#maxima − 1). Subtracting logsumexp(x) instead rounds away a tiny
 * log-probability of the largest logit (x = [100, 60]: log p₀ = −4.2e-18, not 0). The maximum
 * is differentiated (ties share its cotangent), which makes the gradient δ − softmax exactly.
 * @internal
 */
export function logSoftmax(logits: Tensor): Tensor {
  const m = max(logits, -1, true);
  const shift = where(isfinite(m), m, 0); // all −∞ (or a +∞): keep the plain form's conventions
  const atMax = eq(logits, m);
  const rest = sum(where(atMax, 0, exp(sub(logits, shift))), -1, true);
  const ties = sub(sum(atMax, -1, true), 1);
  return sub(sub(logits, shift), log1p(add(rest, ties)));
}

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
    if (typeof logits === "number" || logits.rank < 1)
      throw new Error("CategoricalLogits: logits needs a category axis (shape [..., K])");
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
    return logSoftmax(this.logits);
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
    return maskOutOfSupport(this, value, sum(where(eq(hot, 1), logSoftmax(this.logits), 0), -1));
  }

  /**
   * The categories 0, …, K−1 on a leading axis (NumPyro's `enumerate_support`): int32 of
   * shape [K, 1, …] (one unit axis per batch axis), or [K, ...batchShape] with `expand`.
   */
  enumerateSupport(expand = true): Tensor {
    return integerRangeSupport(0, this.numCategories - 1, this.batchShape, expand);
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
