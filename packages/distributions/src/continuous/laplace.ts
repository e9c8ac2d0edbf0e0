import {
  abs,
  add,
  broadcastTo,
  div,
  expm1,
  type Key,
  log,
  log1p,
  mul,
  neg,
  random,
  type Shape,
  sign,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import type { ParamLike } from "../param-utils.js";
import { tiny } from "./helpers.js";
import { LocScaleDistribution } from "./loc-scale.js";

/**
 * Laplace (double exponential) distribution: density exp(−|x − loc|/scale) / (2·scale).
 * @example
 * new Laplace(0, 1).logProb(tensor([0])); // [-log 2]
 */
export class Laplace extends LocScaleDistribution {
  /**
   * @param loc Location (median).
   * @param scale Scale.
   */
  constructor(loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    super("Laplace", loc, scale, validateArgs);
  }

  /** loc − scale · sign(u) · log(1 − |u|) with u uniform on (−1, 1). */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const dt = this.loc.dtype;
    const u = random.uniform(key, this.shape(sampleShape), -1 + tiny(dt), 1, { dtype: dt });
    // portable log1p: the same bits in every JavaScript engine (issue 22)
    return sub(this.loc, mul(mul(this.scale, sign(u)), random.portableLog1p(neg(abs(u)))));
  }

  logProb(value: Tensor): Tensor {
    return sub(neg(div(abs(sub(value, this.loc)), this.scale)), add(log(this.scale), Math.LN2));
  }

  override get mean(): Tensor {
    return this.loc;
  }

  override get variance(): Tensor {
    return mul(square(this.scale), 2);
  }

  override cdf(value: Tensor): Tensor {
    const z = div(sub(value, this.loc), this.scale);
    return sub(0.5, mul(mul(sign(z), expm1(neg(abs(z)))), 0.5));
  }

  override icdf(q: Tensor): Tensor {
    const a = sub(q, 0.5);
    return sub(this.loc, mul(mul(this.scale, sign(a)), log1p(mul(abs(a), -2))));
  }

  override entropy(): Tensor {
    return broadcastTo(add(log(this.scale), 1 + Math.LN2), this.batchShape);
  }
}
