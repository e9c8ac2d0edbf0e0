import {
  add,
  broadcastTo,
  div,
  erfc,
  type Key,
  log,
  mul,
  ndtri,
  type Shape,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import type { ParamLike } from "../param-utils.js";
import { HALF_LOG_2PI, stdNormal } from "./helpers.js";
import { LocScaleDistribution } from "./loc-scale.js";

/**
 * Normal (Gaussian) distribution with mean `loc` and standard deviation `scale`.
 * @example
 * const d = new Normal(0, 1);
 * d.logProb(tensor([0])); // [-0.9189…]
 */
export class Normal extends LocScaleDistribution {
  /**
   * @param loc Mean, broadcast to the batch shape.
   * @param scale Standard deviation, broadcast to the batch shape.
   */
  constructor(loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    super("Normal", loc, scale, validateArgs);
  }

  /** loc + scale · ε with ε ~ N(0, 1): differentiable in loc and scale. */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    return add(this.loc, mul(this.scale, stdNormal(key, this.shape(sampleShape), this.loc.dtype)));
  }

  logProb(value: Tensor): Tensor {
    const z = div(sub(value, this.loc), this.scale);
    return sub(sub(mul(square(z), -0.5), log(this.scale)), HALF_LOG_2PI);
  }

  override get mean(): Tensor {
    return this.loc;
  }

  override get variance(): Tensor {
    return square(this.scale);
  }

  /** Φ((x − loc)/scale), via erfc so the lower tail keeps its relative accuracy. */
  override cdf(value: Tensor): Tensor {
    return mul(erfc(mul(div(sub(value, this.loc), this.scale), -Math.SQRT1_2)), 0.5);
  }

  override icdf(q: Tensor): Tensor {
    return add(this.loc, mul(this.scale, ndtri(q)));
  }

  override entropy(): Tensor {
    return broadcastTo(add(log(this.scale), 0.5 + HALF_LOG_2PI), this.batchShape);
  }
}
