import {
  add,
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
import type { ParamLike } from "../param-utils.js";
import { EULER_GAMMA, openUniform } from "./helpers.js";
import { LocScaleDistribution } from "./loc-scale.js";

/**
 * Gumbel (type I extreme value) distribution: cdf exp(−exp(−(x − loc)/scale)).
 * @example
 * new Gumbel(0, 1).logProb(tensor([0])); // [−1]
 */
export class Gumbel extends LocScaleDistribution {
  /**
   * @param loc Location (mode).
   * @param scale Scale.
   */
  constructor(loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    super("Gumbel", loc, scale, validateArgs);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    // the icdf with portable logs: the same bits in every JavaScript engine (issue 22)
    const u = openUniform(key, this.shape(sampleShape), this.loc.dtype);
    return sub(this.loc, mul(this.scale, random.portableLog(neg(random.portableLog(u)))));
  }

  /** −(z + e^(−z)) − log scale. */
  logProb(value: Tensor): Tensor {
    const z = div(sub(value, this.loc), this.scale);
    return sub(neg(add(z, exp(neg(z)))), log(this.scale));
  }

  override get mean(): Tensor {
    return add(this.loc, mul(this.scale, EULER_GAMMA));
  }

  override get variance(): Tensor {
    return mul(square(this.scale), (Math.PI * Math.PI) / 6);
  }

  override cdf(value: Tensor): Tensor {
    return exp(neg(exp(neg(div(sub(value, this.loc), this.scale)))));
  }

  override icdf(q: Tensor): Tensor {
    return sub(this.loc, mul(this.scale, log(neg(log(q)))));
  }

  override entropy(): Tensor {
    return broadcastTo(add(log(this.scale), EULER_GAMMA + 1), this.batchShape);
  }
}
