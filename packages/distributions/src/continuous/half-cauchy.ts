import {
  abs,
  add,
  atan2,
  broadcastTo,
  div,
  type Key,
  log,
  mul,
  random,
  type Shape,
  sub,
  type Tensor,
  tan,
} from "@scribe/core";
import { nonnegative, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";
import { cauchyLogKernel } from "./cauchy.js";
import { constant, openUniform } from "./helpers.js";

const LOG_2_OVER_PI = Math.log(2 / Math.PI);

/**
 * Half-Cauchy distribution: |X| for X ~ Cauchy(0, scale) (mean and variance are +∞).
 * @example
 * new HalfCauchy(1).logProb(tensor([0])); // [log(2/π)]
 */
export class HalfCauchy extends Distribution {
  static override readonly argConstraints = { scale: positive };
  static override readonly support = nonnegative;
  static override readonly reparametrized = true;

  /** Scale of the underlying Cauchy. */
  readonly scale: Tensor;

  constructor(scale: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("HalfCauchy", { scale });
    super(batchShape, [], validateArgs);
    this.scale = values.scale;
    if (this.validateArgs) check("HalfCauchy", values, HalfCauchy.argConstraints);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const u = openUniform(key, this.shape(sampleShape), this.scale.dtype);
    // portable tan(π·t): the same bits in every JavaScript engine (issue 22)
    return mul(this.scale, abs(random.portableTanPi(sub(u, 0.5))));
  }

  logProb(value: Tensor): Tensor {
    const lp = add(cauchyLogKernel(value, this.scale), LOG_2_OVER_PI);
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    return constant(this.batchShape, Infinity, this.scale.dtype);
  }

  override get variance(): Tensor {
    return constant(this.batchShape, Infinity, this.scale.dtype);
  }

  override cdf(value: Tensor): Tensor {
    return mul(atan2(div(value, this.scale), 1), 2 / Math.PI);
  }

  override icdf(q: Tensor): Tensor {
    return mul(this.scale, tan(mul(q, Math.PI / 2)));
  }

  override entropy(): Tensor {
    return broadcastTo(add(log(this.scale), Math.log(2 * Math.PI)), this.batchShape);
  }
}
