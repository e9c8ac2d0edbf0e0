import {
  type Key, type Shape, type Tensor, add, floor, gammaincc, lfactorial, lt, random, where, xlogy,
} from "@scribe/core";
import { Distribution } from "../distribution.js";
import { maskOutOfSupport } from "../validation.js";
import { nonnegative, nonnegativeInteger } from "../constraints.js";
import { type ParamLike, asValue, checkArgs, promoteParams } from "../param-utils.js";

/**
 * Poisson(rate λ ≥ 0): log p(k) = k log λ − λ − log k!, with 0·log 0 = 0 so that rate 0 puts
 * all its mass on k = 0.
 * @example
 * new Poisson(tensor([3.5])).logProb(tensor([2]));
 */
export class Poisson extends Distribution {
  static override readonly argConstraints = { rate: nonnegative };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** The rate λ (mean), broadcast to the batch shape. */
  readonly rate: Tensor;

  constructor(rate: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Poisson", { rate });
    super(batchShape, [], validateArgs);
    this.rate = values.rate;
    checkArgs(this, values);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return random.poisson(key, this.rate, this.shape(sampleShape), { dtype: this.rate.dtype });
  }

  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.rate.dtype);
    return maskOutOfSupport(this, value, xlogy(k, this.rate).sub(this.rate).sub(lfactorial(k)));
  }

  override get mean(): Tensor {
    return this.rate;
  }

  override get variance(): Tensor {
    return this.rate;
  }

  /** P(X ≤ k) = Q(⌊k⌋ + 1, λ), the regularized upper incomplete gamma. */
  override cdf(value: Tensor): Tensor {
    const k = floor(asValue(value, this.rate.dtype));
    return where(lt(k, 0), 0, gammaincc(add(where(lt(k, 0), 0, k), 1), this.rate));
  }
}
