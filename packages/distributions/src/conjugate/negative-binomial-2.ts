import { add, div, square, type Tensor } from "@scribe/core";
import { nonnegativeInteger, positive } from "../constraints.js";
import { nb2InSupportLogProb, nb2LogProb } from "../kernels/negative-binomial.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { GammaPoisson } from "./gamma-poisson.js";

/**
 * NegativeBinomial2(mean μ, concentration θ): the NB2 form used for counts, variance
 * μ + μ²/θ; a {@link GammaPoisson} with rate θ/μ. The log-pmf is the core's fused `nb2LogProb`
 * (analytic gradients in μ and θ, count-aware, finite at μ → 0 and θ → ∞).
 * @example
 * new NegativeBinomial2(tensor([10]), tensor([2])).logProb(tensor([5]));
 */
export class NegativeBinomial2 extends GammaPoisson {
  static override readonly argConstraints = { mean: positive, concentration: positive };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** The mean μ, broadcast to the batch shape. */
  readonly loc: Tensor;

  constructor(mean: ParamLike, concentration: ParamLike, validateArgs?: boolean) {
    const { values } = promoteParams("NegativeBinomial2", { mean, concentration });
    super(values.concentration, div(values.concentration, values.mean), validateArgs);
    this.loc = values.mean;
    checkArgs(this, values);
  }

  override logProb(value: Tensor): Tensor {
    const k = asValue(value, this.loc.dtype);
    // Validation's support mask is fused into the kernel's pass (its cold path) instead of a
    // where() over the counts: same result, −∞ outside the non-negative integers.
    if (this.validateArgs) return nb2InSupportLogProb(k, this.loc, this.concentration);
    return nb2LogProb(k, this.loc, this.concentration);
  }

  override get mean(): Tensor {
    return this.loc;
  }

  /** μ + μ²/θ. */
  override get variance(): Tensor {
    return add(this.loc, div(square(this.loc), this.concentration));
  }
}
