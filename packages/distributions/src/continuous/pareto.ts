import {
  add,
  broadcastTo,
  div,
  gt,
  type Key,
  log,
  mul,
  neg,
  pow,
  random,
  reciprocal,
  type Shape,
  square,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { type Constraint, dependent, greaterThanEq, positive } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";
import { openUniform } from "./helpers.js";

/**
 * Pareto (type I) distribution with minimum `scale` and tail index `alpha`: density α sᵅ / x^(α+1) on x ≥ s.
 * @example
 * new Pareto(1, 3).mean; // [1.5]
 */
export class Pareto extends Distribution {
  static override readonly argConstraints = { scale: positive, alpha: positive };
  static override readonly support: Constraint | null = dependent;
  static override readonly reparametrized = true;

  /** The minimum value s. */
  readonly scale: Tensor;
  /** Tail index α. */
  readonly alpha: Tensor;

  constructor(scale: ParamLike, alpha: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Pareto", { scale, alpha });
    super(batchShape, [], validateArgs);
    this.scale = values.scale;
    this.alpha = values.alpha;
    if (this.validateArgs) check("Pareto", values, Pareto.argConstraints);
  }

  /** x ≥ scale. */
  override get support(): Constraint {
    return greaterThanEq(this.scale);
  }

  /** scale · exp(E/α) with E standard exponential. */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    // portable exp/log: the same bits in every JavaScript engine (issue 22)
    const e = neg(random.portableLog(openUniform(key, this.shape(sampleShape), this.scale.dtype)));
    return mul(this.scale, random.portableExp(div(e, this.alpha)));
  }

  logProb(value: Tensor): Tensor {
    const a = this.alpha;
    const lp = sub(add(log(a), mul(a, log(this.scale))), mul(add(a, 1), log(value)));
    return maskOutOfSupport(this, value, lp);
  }

  /** αs/(α − 1) for α > 1, +∞ otherwise. */
  override get mean(): Tensor {
    const a = this.alpha;
    return where(gt(a, 1), div(mul(a, this.scale), sub(a, 1)), Infinity);
  }

  /** s²α/((α − 1)²(α − 2)) for α > 2, +∞ otherwise. */
  override get variance(): Tensor {
    const a = this.alpha;
    return where(gt(a, 2), div(mul(square(this.scale), a), mul(square(sub(a, 1)), sub(a, 2))), Infinity);
  }

  override cdf(value: Tensor): Tensor {
    return sub(1, pow(div(this.scale, value), this.alpha));
  }

  override icdf(q: Tensor): Tensor {
    return mul(this.scale, pow(sub(1, q), neg(reciprocal(this.alpha))));
  }

  override entropy(): Tensor {
    const a = this.alpha;
    return broadcastTo(add(add(sub(log(this.scale), log(a)), reciprocal(a)), 1), this.batchShape);
  }
}
