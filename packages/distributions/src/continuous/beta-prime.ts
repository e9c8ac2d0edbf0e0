import {
  add,
  betainc,
  betaln,
  div,
  gt,
  type Key,
  log1p,
  mul,
  random,
  type Shape,
  splitKey,
  square,
  sub,
  type Tensor,
  where,
  xlogy,
} from "@scribe/core";
import { positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";

/**
 * Beta prime (inverted beta) distribution on x > 0: density x^(a−1) (1+x)^(−a−b) / B(a, b), the
 * law of G_a/G_b for independent unit-rate gammas. Named as scipy's `betaprime(a, b)`.
 * @example
 * new BetaPrime(2, 4).mean; // [2/3]
 */
export class BetaPrime extends Distribution {
  static override readonly argConstraints = { concentration1: positive, concentration0: positive };
  static override readonly support = positive;
  static override readonly reparametrized = true;

  /** a. */
  readonly concentration1: Tensor;
  /** b. */
  readonly concentration0: Tensor;

  constructor(concentration1: ParamLike, concentration0: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("BetaPrime", { concentration1, concentration0 });
    super(batchShape, [], validateArgs);
    this.concentration1 = values.concentration1;
    this.concentration0 = values.concentration0;
    if (this.validateArgs) check("BetaPrime", values, BetaPrime.argConstraints);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [ka, kb] = splitKey(key, 2) as [Key, Key];
    const shape = this.shape(sampleShape);
    const dt = this.concentration1.dtype;
    return div(
      random.gamma(ka, this.concentration1, shape, { dtype: dt }),
      random.gamma(kb, this.concentration0, shape, { dtype: dt }),
    );
  }

  logProb(value: Tensor): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const lp = sub(sub(xlogy(sub(a, 1), value), mul(add(a, b), log1p(value))), betaln(a, b));
    return maskOutOfSupport(this, value, lp);
  }

  /** a/(b − 1) for b > 1, +∞ otherwise. */
  override get mean(): Tensor {
    const b = this.concentration0;
    return where(gt(b, 1), div(this.concentration1, sub(b, 1)), Infinity);
  }

  /** a(a + b − 1)/((b − 2)(b − 1)²) for b > 2, +∞ otherwise. */
  override get variance(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const v = div(mul(a, sub(add(a, b), 1)), mul(sub(b, 2), square(sub(b, 1))));
    return where(gt(b, 2), v, Infinity);
  }

  override cdf(value: Tensor): Tensor {
    return betainc(this.concentration1, this.concentration0, div(value, add(value, 1)));
  }
}
