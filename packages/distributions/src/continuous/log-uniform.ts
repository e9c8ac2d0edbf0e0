import {
  add,
  broadcastShapes,
  broadcastTo,
  div,
  exp,
  type Key,
  log,
  mul,
  neg,
  random,
  type Shape,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import { type Constraint, dependent, interval, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";

/**
 * Log-uniform (reciprocal) distribution on [low, high]: log x is uniform on [log low, log high].
 * @example
 * new LogUniform(1, Math.E).logProb(tensor([2])); // [−log 2]
 */
export class LogUniform extends Distribution {
  static override readonly argConstraints = { low: positive, high: positive };
  static override readonly support: Constraint | null = dependent;
  static override readonly reparametrized = true;

  /** Lower end (> 0). */
  readonly low: Tensor;
  /** Upper end. */
  readonly high: Tensor;

  constructor(low: ParamLike, high: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("LogUniform", { low, high });
    super(batchShape, [], validateArgs);
    this.low = values.low;
    this.high = values.high;
    if (this.validateArgs) {
      check("LogUniform", values, LogUniform.argConstraints);
      check("LogUniform", { "high - low": sub(values.high, values.low) }, { "high - low": positive });
    }
  }

  /** interval(low, high). */
  override get support(): Constraint {
    return interval(this.low, this.high);
  }

  private get logRange(): Tensor {
    return sub(log(this.high), log(this.low));
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const u = random.uniform(key, this.shape(sampleShape), 0, 1, { dtype: this.low.dtype });
    // portable exp/log (and the log range recomputed with them): the same bits in every
    // JavaScript engine (issue 22)
    const logLow = random.portableLog(this.low);
    const logRange = sub(random.portableLog(this.high), logLow);
    return random.portableExp(add(logLow, mul(u, logRange)));
  }

  logProb(value: Tensor): Tensor {
    const lp = neg(add(log(value), log(this.logRange)));
    return maskOutOfSupport(this, value, broadcastTo(lp, broadcastShapes(value.shape, this.batchShape)));
  }

  override get mean(): Tensor {
    return div(sub(this.high, this.low), this.logRange);
  }

  override get variance(): Tensor {
    const m2 = div(sub(square(this.high), square(this.low)), mul(this.logRange, 2));
    return sub(m2, square(this.mean));
  }

  override cdf(value: Tensor): Tensor {
    return div(sub(log(value), log(this.low)), this.logRange);
  }

  override icdf(q: Tensor): Tensor {
    return exp(add(log(this.low), mul(q, this.logRange)));
  }

  override entropy(): Tensor {
    return add(mul(add(log(this.low), log(this.high)), 0.5), log(this.logRange));
  }
}
