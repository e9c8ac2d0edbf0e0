import {
  type Key, type Shape, type Tensor, add, broadcastShapes, broadcastTo, clamp, div, log, mul, neg, random, square, sub,
} from "@scribe/core";
import { Distribution } from "../distribution.js";
import { type Constraint, dependent, interval, positive, real } from "../constraints.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport, validateArgs as check } from "../validation.js";

/**
 * Continuous uniform distribution on [low, high].
 * @example
 * new Uniform(-1, 3).logProb(tensor([0])); // [-log 4]
 */
export class Uniform extends Distribution {
  static override readonly argConstraints = { low: dependent, high: dependent };
  static override readonly support: Constraint | null = dependent;
  static override readonly reparametrized = true;

  /** Lower end. */
  readonly low: Tensor;
  /** Upper end. */
  readonly high: Tensor;

  constructor(low: ParamLike = 0, high: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Uniform", { low, high });
    super(batchShape, [], validateArgs);
    this.low = values.low;
    this.high = values.high;
    if (this.validateArgs) {
      check("Uniform", values, { low: real, high: real });
      check("Uniform", { "high - low": sub(values.high, values.low) }, { "high - low": positive });
    }
  }

  /** interval(low, high). */
  override get support(): Constraint {
    return interval(this.low, this.high);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const u = random.uniform(key, this.shape(sampleShape), 0, 1, { dtype: this.low.dtype });
    return add(this.low, mul(sub(this.high, this.low), u));
  }

  logProb(value: Tensor): Tensor {
    const lp = broadcastTo(neg(log(sub(this.high, this.low))), broadcastShapes(value.shape, this.batchShape));
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    return mul(add(this.low, this.high), 0.5);
  }

  override get variance(): Tensor {
    return div(square(sub(this.high, this.low)), 12);
  }

  override cdf(value: Tensor): Tensor {
    return clamp(div(sub(value, this.low), sub(this.high, this.low)), 0, 1);
  }

  override icdf(q: Tensor): Tensor {
    return add(this.low, mul(q, sub(this.high, this.low)));
  }

  override entropy(): Tensor {
    return log(sub(this.high, this.low));
  }
}
