import {
  abs,
  add,
  atan2,
  broadcastTo,
  div,
  type Key,
  log,
  log1p,
  maximum,
  minimum,
  mul,
  random,
  type Shape,
  square,
  sub,
  type Tensor,
  tan,
} from "@scribe/core";
import type { ParamLike } from "../param-utils.js";
import { constant, LOG_PI, openUniform } from "./helpers.js";
import { LocScaleDistribution } from "./loc-scale.js";

/**
 * log(scale / (scale² + d²)) = log scale − 2 log M − log1p((m/M)²), M = max(|d|, scale),
 * m = min(|d|, scale): the hypot-style scaling never forms d/scale, which overflows when
 * |d| is huge and scale tiny (|d| = 1e300, scale = 1e-30). Branch-free; max/min share the
 * cotangent at ties, so the gradient is exact there too. Shared by Cauchy and HalfCauchy.
 * @internal
 */
export function cauchyLogKernel(d: Tensor, scale: Tensor): Tensor {
  const ad = abs(d);
  const big = maximum(ad, scale);
  const ratio = div(minimum(ad, scale), big);
  return sub(sub(log(scale), mul(log(big), 2)), log1p(square(ratio)));
}

/**
 * Cauchy distribution with location `loc` and scale `scale` (no mean or variance: both NaN).
 * @example
 * new Cauchy(0, 1).logProb(tensor([0])); // [-log π]
 */
export class Cauchy extends LocScaleDistribution {
  /**
   * @param loc Median.
   * @param scale Half width at half maximum.
   */
  constructor(loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    super("Cauchy", loc, scale, validateArgs);
  }

  /** Inverse-cdf draw: loc + scale · tan(π(u − ½)). */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const u = openUniform(key, this.shape(sampleShape), this.loc.dtype);
    // portable tan(π·t): the same bits in every JavaScript engine (issue 22)
    return add(this.loc, mul(this.scale, random.portableTanPi(sub(u, 0.5))));
  }

  /** −log π − log scale − log(1 + z²), z = (x − loc)/scale, without forming z (see cauchyLogKernel). */
  logProb(value: Tensor): Tensor {
    return sub(cauchyLogKernel(sub(value, this.loc), this.scale), LOG_PI);
  }

  override get mean(): Tensor {
    return constant(this.batchShape, NaN, this.loc.dtype);
  }

  override get variance(): Tensor {
    return constant(this.batchShape, NaN, this.loc.dtype);
  }

  override cdf(value: Tensor): Tensor {
    return add(div(atan2(div(sub(value, this.loc), this.scale), 1), Math.PI), 0.5);
  }

  override icdf(q: Tensor): Tensor {
    return add(this.loc, mul(this.scale, tan(mul(sub(q, 0.5), Math.PI))));
  }

  override entropy(): Tensor {
    return broadcastTo(add(log(this.scale), Math.log(4 * Math.PI)), this.batchShape);
  }
}
