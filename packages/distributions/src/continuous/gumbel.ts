import {
  add,
  broadcastTo,
  div,
  exp,
  type Key,
  log,
  mul,
  neg,
  type Shape,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import { positive, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check } from "../validation.js";
import { EULER_GAMMA, openUniform } from "./helpers.js";

/**
 * Gumbel (type I extreme value) distribution: cdf exp(−exp(−(x − loc)/scale)).
 * @example
 * new Gumbel(0, 1).logProb(tensor([0])); // [−1]
 */
export class Gumbel extends Distribution {
  static override readonly argConstraints = { loc: real, scale: positive };
  static override readonly support = real;
  static override readonly reparametrized = true;

  /** Location (mode). */
  readonly loc: Tensor;
  /** Scale. */
  readonly scale: Tensor;

  constructor(loc: ParamLike = 0, scale: ParamLike = 1, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Gumbel", { loc, scale });
    super(batchShape, [], validateArgs);
    this.loc = values.loc;
    this.scale = values.scale;
    if (this.validateArgs) check("Gumbel", values, Gumbel.argConstraints);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return this.icdf(openUniform(key, this.shape(sampleShape), this.loc.dtype));
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
