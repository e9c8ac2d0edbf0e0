import {
  abs,
  add,
  broadcastTo,
  div,
  erf,
  type Key,
  log,
  mul,
  ndtri,
  type Shape,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import { nonnegative, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";
import { stdNormal } from "./helpers.js";

const HALF_LOG_HALF_PI = 0.5 * Math.log(Math.PI / 2);

/**
 * Half-normal distribution: |X| for X ~ Normal(0, scale).
 * @example
 * new HalfNormal(1).logProb(tensor([0])); // [log √(2/π)]
 */
export class HalfNormal extends Distribution {
  static override readonly argConstraints = { scale: positive };
  static override readonly support = nonnegative;
  static override readonly reparametrized = true;

  /** Scale of the underlying normal. */
  readonly scale: Tensor;

  constructor(scale: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("HalfNormal", { scale });
    super(batchShape, [], validateArgs);
    this.scale = values.scale;
    if (this.validateArgs) check("HalfNormal", values, HalfNormal.argConstraints);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return mul(this.scale, abs(stdNormal(key, this.shape(sampleShape), this.scale.dtype)));
  }

  logProb(value: Tensor): Tensor {
    const z = div(value, this.scale);
    const lp = sub(sub(mul(square(z), -0.5), log(this.scale)), HALF_LOG_HALF_PI);
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    return mul(this.scale, Math.sqrt(2 / Math.PI));
  }

  override get variance(): Tensor {
    return mul(square(this.scale), 1 - 2 / Math.PI);
  }

  override cdf(value: Tensor): Tensor {
    return erf(mul(div(value, this.scale), Math.SQRT1_2));
  }

  override icdf(q: Tensor): Tensor {
    return mul(this.scale, ndtri(mul(add(q, 1), 0.5)));
  }

  override entropy(): Tensor {
    return broadcastTo(add(log(this.scale), 0.5 * Math.log(Math.PI / 2) + 0.5), this.batchShape);
  }
}
