import {
  add,
  div,
  type Key,
  lgammaShiftDiff,
  mul,
  random,
  type Shape,
  splitKey,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { integerInterval, nonnegativeInteger, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { logBinomialCoefficient } from "./combinatorics.js";

/**
 * BetaBinomial(concentration1 a, concentration0 b, totalCount n): a Binomial(n, p) with
 * p ~ Beta(a, b). log p(k) = log C(n, k) + log B(k + a, n − k + b) − log B(a, b), the beta
 * ratio written as rising-factorial differences (`lgammaShiftDiff`) so that huge a, b or n
 * do not cancel.
 * @example
 * new BetaBinomial(2, 3, 10).logProb(tensor([4]));
 */
export class BetaBinomial extends Distribution {
  static override readonly argConstraints = {
    concentration1: positive,
    concentration0: positive,
    totalCount: nonnegativeInteger,
  };
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Beta shape a (pseudo-successes), broadcast to the batch shape. */
  readonly concentration1: Tensor;
  /** Beta shape b (pseudo-failures), broadcast to the batch shape. */
  readonly concentration0: Tensor;
  /** Number of trials, broadcast to the batch shape. */
  readonly totalCount: Tensor;

  constructor(
    concentration1: ParamLike,
    concentration0: ParamLike,
    totalCount: ParamLike = 1,
    validateArgs?: boolean,
  ) {
    const { values, batchShape } = promoteParams("BetaBinomial", {
      concentration1,
      concentration0,
      totalCount,
    });
    super(batchShape, [], validateArgs);
    this.concentration1 = values.concentration1;
    this.concentration0 = values.concentration0;
    this.totalCount = values.totalCount;
    checkArgs(this, values);
  }

  override get support(): Constraint {
    return integerInterval(0, this.totalCount);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [kp, kn] = splitKey(key, 2) as [Key, Key];
    const shape = this.shape(sampleShape);
    const p = random.beta(kp, this.concentration1, this.concentration0, shape, {
      dtype: this.concentration1.dtype,
    });
    return random.binomial(kn, this.totalCount, p, shape, { dtype: this.concentration1.dtype });
  }

  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.concentration1.dtype);
    const a = this.concentration1;
    const b = this.concentration0;
    const n = this.totalCount;
    const ratio = lgammaShiftDiff(a, k)
      .add(lgammaShiftDiff(b, sub(n, k)))
      .sub(lgammaShiftDiff(add(a, b), n));
    return maskOutOfSupport(this, value, logBinomialCoefficient(n, k).add(ratio));
  }

  override get mean(): Tensor {
    return div(mul(this.totalCount, this.concentration1), add(this.concentration1, this.concentration0));
  }

  override get variance(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const n = this.totalCount;
    const s = add(a, b);
    return div(mul(mul(mul(n, a), b), add(s, n)), mul(square(s), add(s, 1)));
  }
}
