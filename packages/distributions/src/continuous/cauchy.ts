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
  type Shape,
  square,
  sub,
  type Tensor,
  tan,
} from "@scribe/core";
import { positive, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check } from "../validation.js";
import { constant, LOG_PI, openUniform } from "./helpers.js";

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
export class Cauchy extends Distribution {
  static override readonly argConstraints = { loc: real, scale: positive };
  static override readonly support = real;
  static override readonly reparametrized = true;

  /** Median. */
  readonly loc: Tensor;
  /** Half width at half maximum. */
  readonly scale: Tensor;

  constructor(loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Cauchy", { loc, scale });
    super(batchShape, [], validateArgs);
    this.loc = values.loc;
    this.scale = values.scale;
    if (this.validateArgs) check("Cauchy", values, Cauchy.argConstraints);
  }

  /** Inverse-cdf draw: loc + scale · tan(π(u − ½)). */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const u = openUniform(key, this.shape(sampleShape), this.loc.dtype);
    return add(this.loc, mul(this.scale, tan(mul(sub(u, 0.5), Math.PI))));
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
