import {
  arange,
  type DType,
  eq,
  full,
  type Key,
  log,
  mul,
  neg,
  random,
  type Shape,
  sum,
  type Tensor,
  unsqueeze,
  xlogy,
} from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { integerInterval, simplex } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { integerRangeSupport } from "./enumerate-support.js";

/**
 * Categorical distribution over {0, …, K−1} with event probabilities on the last axis of
 * `probs` (used as given: the log-pmf is log probs[k]).
 * @example
 * new CategoricalProbs(tensor([0.2, 0.3, 0.5])).logProb(tensor([2])); // log 0.5
 */
export class CategoricalProbs extends Distribution {
  static override readonly argConstraints = { probs: simplex };
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Category probabilities, shape batchShape + [K]. */
  readonly probs: Tensor;

  constructor(probs: ParamLike, validateArgs?: boolean) {
    if (typeof probs === "number" || probs.rank < 1)
      throw new Error("CategoricalProbs: probs needs a category axis (shape [..., K])");
    const { values, batchShape } = promoteParams("CategoricalProbs", { probs }, { probs: 1 });
    super(batchShape, [], validateArgs);
    this.probs = values.probs;
    checkArgs(this, values);
  }

  /** Number of categories K. */
  get numCategories(): number {
    return this.probs.shape[this.probs.rank - 1]!;
  }

  override get support(): Constraint {
    return integerInterval(0, this.numCategories - 1);
  }

  /** Normalized log-probabilities on the last axis. */
  get logits(): Tensor {
    return log(this.probs);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return random.categorical(key, this.logits, this.shape(sampleShape));
  }

  logProb(value: Tensor): Tensor {
    // the selected probability, picked by a one-hot product (exact, and its gradient is finite
    // even where other categories have probability 0), then its log
    const sel = sum(mul(oneHot(value, this.numCategories, this.probs.dtype), this.probs), -1);
    return maskOutOfSupport(this, value, log(sel));
  }

  /**
   * The categories 0, …, K−1 on a leading axis (NumPyro's `enumerate_support`): int32 of
   * shape [K, 1, …] (one unit axis per batch axis), or [K, ...batchShape] with `expand`.
   */
  enumerateSupport(expand = true): Tensor {
    return integerRangeSupport(0, this.numCategories - 1, this.batchShape, expand);
  }

  override get mean(): Tensor {
    return full(this.batchShape, Number.NaN, this.probs.dtype);
  }

  override get variance(): Tensor {
    return full(this.batchShape, Number.NaN, this.probs.dtype);
  }

  override entropy(): Tensor {
    return neg(sum(xlogy(this.probs, this.probs), -1));
  }
}

/**
 * One-hot encoding of integer-valued `value` (any float or int dtype) over K categories,
 * as a float tensor of shape value.shape + [K].
 * @internal
 */
export function oneHot(value: Tensor, K: number, dtype: DType): Tensor {
  const v = unsqueeze(asValue(value, dtype), value.rank);
  return asValue(eq(v, asValue(arange(K), dtype)), dtype);
}
