import {
  add,
  digamma,
  div,
  type Key,
  lgamma,
  mul,
  random,
  type Shape,
  square,
  sub,
  sum,
  type Tensor,
  xlogy,
} from "@scribe/core";
import { independent, positive, simplex } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";

/**
 * Dirichlet distribution on the simplex, with `concentration` α on the last axis (event shape [K]).
 * @example
 * new Dirichlet(tensor([1, 2, 3])).mean; // [1/6, 1/3, 1/2]
 */
export class Dirichlet extends Distribution {
  static override readonly argConstraints = { concentration: independent(positive, 1) };
  static override readonly support = simplex;
  static override readonly reparametrized = true;

  /** α, shape batchShape + [K]. */
  readonly concentration: Tensor;

  constructor(concentration: ParamLike, validateArgs?: boolean) {
    if (typeof concentration === "number" || concentration.rank < 1)
      throw new Error("Dirichlet: concentration must have at least one dimension (the categories)");
    const { values, batchShape } = promoteParams("Dirichlet", { concentration }, { concentration: 1 });
    const k = values.concentration.shape[values.concentration.rank - 1]!;
    if (k < 2)
      throw new Error(
        `Dirichlet: needs at least 2 categories, got concentration shape [${values.concentration.shape}]`,
      );
    super(batchShape, [k], validateArgs);
    this.concentration = values.concentration;
    if (this.validateArgs) check("Dirichlet", values, Dirichlet.argConstraints);
  }

  /** Normalized gamma draws; implicitly reparameterized in α. */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    return random.dirichlet(key, this.concentration, [...sampleShape, ...this.batchShape], {
      dtype: this.concentration.dtype,
    });
  }

  /** Σ (αᵢ − 1) log xᵢ + lgamma(Σα) − Σ lgamma(αᵢ) (x is not renormalized). */
  logProb(value: Tensor): Tensor {
    const a = this.concentration;
    const norm = sub(lgamma(sum(a, -1)), sum(lgamma(a), -1));
    const lp = add(sum(xlogy(sub(a, 1), value), -1), norm);
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    return div(this.concentration, sum(this.concentration, -1, true));
  }

  override get variance(): Tensor {
    const a = this.concentration;
    const a0 = sum(a, -1, true);
    return div(mul(a, sub(a0, a)), mul(square(a0), add(a0, 1)));
  }

  override entropy(): Tensor {
    const a = this.concentration;
    const k = a.shape[a.rank - 1]!;
    const a0 = sum(a, -1);
    const e = add(
      sub(sum(lgamma(a), -1), lgamma(a0)),
      sub(mul(sub(a0, k), digamma(a0)), sum(mul(sub(a, 1), digamma(a)), -1)),
    );
    return e;
  }
}
