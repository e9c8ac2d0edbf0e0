import {
  add,
  broadcastShapes,
  broadcastTo,
  clamp,
  div,
  isfinite,
  type Key,
  log,
  mul,
  neg,
  random,
  type Shape,
  square,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { type Constraint, dependent, interval, positive, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";

/**
 * log(high − low) even where high − low overflows (low = −3e38, high = 3e38 in float32):
 * then log(high/2 − low/2) + log 2, whose halves cannot overflow. The halved form is used only
 * there, since halving can round subnormal ends.
 * @internal
 */
export function logWidth(low: Tensor, high: Tensor): Tensor {
  const width = sub(high, low);
  return where(isfinite(width), log(width), add(log(sub(mul(high, 0.5), mul(low, 0.5))), Math.LN2));
}

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
    const lp = broadcastTo(neg(logWidth(this.low, this.high)), broadcastShapes(value.shape, this.batchShape));
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
    return logWidth(this.low, this.high);
  }
}
