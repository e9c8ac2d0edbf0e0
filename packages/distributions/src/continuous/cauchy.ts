import {
  type Key, type Shape, type Tensor, add, atan2, broadcastTo, div, log, mul, sub, tan,
} from "@scribe/core";
import { Distribution } from "../distribution.js";
import { positive, real } from "../constraints.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check } from "../validation.js";
import { LOG_PI, constant, log1pSquare, openUniform } from "./helpers.js";

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

  /** −log π − log scale − log(1 + z²), the last term overflow-free for huge |z|. */
  logProb(value: Tensor): Tensor {
    const z = div(sub(value, this.loc), this.scale);
    return sub(sub(mul(log1pSquare(z), -1), log(this.scale)), LOG_PI);
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
