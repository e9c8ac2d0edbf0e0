import {
  add,
  broadcastTo,
  div,
  erfc,
  exp,
  expm1,
  type Key,
  log,
  mul,
  ndtri,
  random,
  type Shape,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import { positive, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";
import { HALF_LOG_2PI, stdNormal } from "./helpers.js";

/**
 * Log-normal distribution: exp of a Normal(loc, scale) variable.
 * @example
 * new LogNormal(0, 1).logProb(tensor([1])); // [-0.9189…]
 */
export class LogNormal extends Distribution {
  static override readonly argConstraints = { loc: real, scale: positive };
  static override readonly support = positive;
  static override readonly reparametrized = true;

  /** Mean of log x. */
  readonly loc: Tensor;
  /** Standard deviation of log x. */
  readonly scale: Tensor;

  constructor(loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("LogNormal", { loc, scale });
    super(batchShape, [], validateArgs);
    this.loc = values.loc;
    this.scale = values.scale;
    if (this.validateArgs) check("LogNormal", values, LogNormal.argConstraints);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    // portable exp: the same bits in every JavaScript engine for one key (issue 22, item 6)
    const z = stdNormal(key, this.shape(sampleShape), this.loc.dtype);
    return random.portableExp(add(this.loc, mul(this.scale, z)));
  }

  logProb(value: Tensor): Tensor {
    const lx = log(value);
    const z = div(sub(lx, this.loc), this.scale);
    const lp = sub(sub(sub(mul(square(z), -0.5), log(this.scale)), HALF_LOG_2PI), lx);
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    return exp(add(this.loc, mul(square(this.scale), 0.5)));
  }

  /** (exp(σ²) − 1) · exp(2μ + σ²), with expm1 for small σ. */
  override get variance(): Tensor {
    const s2 = square(this.scale);
    return mul(expm1(s2), exp(add(mul(this.loc, 2), s2)));
  }

  override cdf(value: Tensor): Tensor {
    return mul(erfc(mul(div(sub(log(value), this.loc), this.scale), -Math.SQRT1_2)), 0.5);
  }

  override icdf(q: Tensor): Tensor {
    return exp(add(this.loc, mul(this.scale, ndtri(q))));
  }

  override entropy(): Tensor {
    return broadcastTo(add(add(this.loc, log(this.scale)), 0.5 + HALF_LOG_2PI), this.batchShape);
  }
}
