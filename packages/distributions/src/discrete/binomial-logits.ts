import { type Key, logSigmoid, mul, neg, random, type Shape, sigmoid, sub, type Tensor } from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { integerInterval, nonnegativeInteger, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { logBinomialCoefficient } from "./combinatorics.js";

/**
 * Binomial(totalCount n, logits l) with success probability sigmoid(l); the log-pmf uses
 * log-sigmoids, so it stays accurate for large |l|.
 * @example
 * new BinomialLogits(10, tensor([-1])).logProb(tensor([2]));
 */
export class BinomialLogits extends Distribution {
  static override readonly argConstraints = { totalCount: nonnegativeInteger, logits: real };
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Number of trials, broadcast to the batch shape. */
  readonly totalCount: Tensor;
  /** Log-odds of success, broadcast to the batch shape. */
  readonly logits: Tensor;

  constructor(totalCount: ParamLike, logits: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("BinomialLogits", { totalCount, logits });
    super(batchShape, [], validateArgs);
    this.totalCount = values.totalCount;
    this.logits = values.logits;
    checkArgs(this, values);
  }

  /** Success probability sigmoid(logits). */
  get probs(): Tensor {
    return sigmoid(this.logits);
  }

  override get support(): Constraint {
    return integerInterval(0, this.totalCount);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    // the portable logistic function, so that one key gives the same draws in every engine
    const p = random.portableSigmoid(this.logits);
    return random.binomial(key, this.totalCount, p, this.shape(sampleShape), {
      dtype: this.logits.dtype,
    });
  }

  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.logits.dtype);
    const n = this.totalCount;
    const l = this.logits;
    return maskOutOfSupport(
      this,
      value,
      logBinomialCoefficient(n, k)
        .add(mul(k, logSigmoid(l)))
        .add(mul(sub(n, k), logSigmoid(neg(l)))),
    );
  }

  override get mean(): Tensor {
    return mul(this.totalCount, this.probs);
  }

  override get variance(): Tensor {
    const p = this.probs;
    return mul(mul(this.totalCount, p), sub(1, p));
  }
}
