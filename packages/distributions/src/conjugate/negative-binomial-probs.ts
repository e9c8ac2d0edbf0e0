import { div, mul, square, sub, type Tensor } from "@scribe/core";
import { nonnegativeInteger, positive, unitInterval } from "../constraints.js";
import { nbProbsLogProb } from "../kernels/negative-binomial.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { GammaPoisson } from "./gamma-poisson.js";

/**
 * NegativeBinomialProbs(totalCount r, probs p), NumPyro's convention: p is the success
 * probability of the *counted* events, so P(k) = C(k + r − 1, k) pᵏ (1 − p)ʳ with mean
 * r·p/(1 − p). It is a {@link GammaPoisson} with concentration r and rate (1 − p)/p; the
 * log-pmf is the core's fused `nbProbsLogProb`.
 * @example
 * new NegativeBinomialProbs(tensor([5]), tensor([0.3])).logProb(tensor([4]));
 */
export class NegativeBinomialProbs extends GammaPoisson {
  static override readonly argConstraints = { totalCount: positive, probs: unitInterval };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** Dispersion r (the Gamma shape), broadcast to the batch shape. */
  readonly totalCount: Tensor;
  /** Success probability of the counted events, broadcast to the batch shape. */
  readonly probs: Tensor;

  constructor(totalCount: ParamLike, probs: ParamLike, validateArgs?: boolean) {
    const { values } = promoteParams("NegativeBinomialProbs", { totalCount, probs });
    super(values.totalCount, div(sub(1, values.probs), values.probs), validateArgs);
    this.totalCount = this.concentration;
    this.probs = values.probs;
    checkArgs(this, values);
  }

  override logProb(value: Tensor): Tensor {
    const k = asValue(value, this.probs.dtype);
    return maskOutOfSupport(this, value, nbProbsLogProb(k, this.totalCount, this.probs));
  }

  override get mean(): Tensor {
    return div(mul(this.totalCount, this.probs), sub(1, this.probs));
  }

  override get variance(): Tensor {
    return div(mul(this.totalCount, this.probs), square(sub(1, this.probs)));
  }
}
