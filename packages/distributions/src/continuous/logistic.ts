import {
  add,
  broadcastTo,
  div,
  type Key,
  log,
  log1p,
  mul,
  neg,
  random,
  type Shape,
  sigmoid,
  softplus,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import type { ParamLike } from "../param-utils.js";
import { openUniform } from "./helpers.js";
import { LocScaleDistribution } from "./loc-scale.js";

/**
 * Logistic distribution: cdf sigmoid((x − loc)/scale).
 * @example
 * new Logistic(0, 1).logProb(tensor([0])); // [-log 4]
 */
export class Logistic extends LocScaleDistribution {
  /**
   * @param loc Location (mean and median).
   * @param scale Scale.
   */
  constructor(loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    super("Logistic", loc, scale, validateArgs);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    // the icdf with portable logs: the same bits in every JavaScript engine (issue 22)
    const u = openUniform(key, this.shape(sampleShape), this.loc.dtype);
    return add(this.loc, mul(this.scale, sub(random.portableLog(u), random.portableLog1p(neg(u)))));
  }

  /** −z − 2·softplus(−z) − log scale. */
  logProb(value: Tensor): Tensor {
    const z = div(sub(value, this.loc), this.scale);
    return sub(sub(neg(z), mul(softplus(neg(z)), 2)), log(this.scale));
  }

  override get mean(): Tensor {
    return this.loc;
  }

  override get variance(): Tensor {
    return mul(square(this.scale), (Math.PI * Math.PI) / 3);
  }

  override cdf(value: Tensor): Tensor {
    return sigmoid(div(sub(value, this.loc), this.scale));
  }

  override icdf(q: Tensor): Tensor {
    return add(this.loc, mul(this.scale, sub(log(q), log1p(neg(q)))));
  }

  override entropy(): Tensor {
    return broadcastTo(add(log(this.scale), 2), this.batchShape);
  }
}
