import {
  add,
  broadcastTo,
  div,
  exp,
  expm1,
  type Key,
  lgamma,
  log,
  log1p,
  mul,
  neg,
  pow,
  random,
  reciprocal,
  type Shape,
  square,
  sub,
  type Tensor,
  xlogy,
} from "@scribe/core";
import { positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";
import { EULER_GAMMA, openUniform } from "./helpers.js";

/**
 * Weibull distribution with `scale` λ and shape `concentration` k: cdf 1 − exp(−(x/λ)ᵏ).
 * @example
 * new Weibull(1, 1).logProb(tensor([1])); // [−1] (exponential when k = 1)
 */
export class Weibull extends Distribution {
  static override readonly argConstraints = { scale: positive, concentration: positive };
  static override readonly support = positive;
  static override readonly reparametrized = true;

  /** Scale λ. */
  readonly scale: Tensor;
  /** Shape k. */
  readonly concentration: Tensor;

  constructor(scale: ParamLike, concentration: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Weibull", { scale, concentration });
    super(batchShape, [], validateArgs);
    this.scale = values.scale;
    this.concentration = values.concentration;
    if (this.validateArgs) check("Weibull", values, Weibull.argConstraints);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const u = openUniform(key, this.shape(sampleShape), this.scale.dtype);
    // x^(1/k) as exp(log x / k) with portable exp/log: the same bits in every JavaScript engine (issue 22)
    const e = neg(random.portableLog(u));
    return mul(this.scale, random.portableExp(div(random.portableLog(e), this.concentration)));
  }

  /** log k − log λ + (k − 1) log(x/λ) − (x/λ)ᵏ. */
  logProb(value: Tensor): Tensor {
    const k = this.concentration;
    const z = div(value, this.scale);
    const lp = sub(add(sub(log(k), log(this.scale)), xlogy(sub(k, 1), z)), pow(z, k));
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    return mul(this.scale, exp(lgamma(add(reciprocal(this.concentration), 1))));
  }

  override get variance(): Tensor {
    const ik = reciprocal(this.concentration);
    const g2 = exp(lgamma(add(mul(ik, 2), 1)));
    const g1 = exp(lgamma(add(ik, 1)));
    return mul(square(this.scale), sub(g2, square(g1)));
  }

  override cdf(value: Tensor): Tensor {
    return neg(expm1(neg(pow(div(value, this.scale), this.concentration))));
  }

  override icdf(q: Tensor): Tensor {
    return mul(this.scale, pow(neg(log1p(neg(q))), reciprocal(this.concentration)));
  }

  /** γ(1 − 1/k) + log(λ/k) + 1. */
  override entropy(): Tensor {
    const k = this.concentration;
    const e = add(add(mul(sub(1, reciprocal(k)), EULER_GAMMA), sub(log(this.scale), log(k))), 1);
    return broadcastTo(e, this.batchShape);
  }
}
