import { exp, neg, random, sigmoid, type Tensor } from "@scribe/core";
import { nonnegativeInteger, positive, real } from "../constraints.js";
import { nbLogitsLogProb } from "../kernels/negative-binomial.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { GammaPoisson } from "./gamma-poisson.js";

/**
 * NegativeBinomialLogits(totalCount r, logits l): {@link NegativeBinomialProbs} with
 * probs = sigmoid(l), i.e. a {@link GammaPoisson} with rate exp(−l). The log-pmf is the
 * core's `nbLogitsLogProb` (log-sigmoid form, stable for large |l|).
 * @example
 * new NegativeBinomialLogits(tensor([5]), tensor([-2])).logProb(tensor([1]));
 */
export class NegativeBinomialLogits extends GammaPoisson {
  static override readonly argConstraints = { totalCount: positive, logits: real };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** Dispersion r, broadcast to the batch shape. */
  readonly totalCount: Tensor;
  /** Log-odds of the counted events, broadcast to the batch shape. */
  readonly logits: Tensor;

  constructor(totalCount: ParamLike, logits: ParamLike, validateArgs?: boolean) {
    const { values } = promoteParams("NegativeBinomialLogits", { totalCount, logits });
    super(values.totalCount, exp(neg(values.logits)), validateArgs);
    this.totalCount = this.concentration;
    this.logits = values.logits;
    checkArgs(this, values);
  }

  /** g·e^l with the portable exp: a draw gives the same bits in every JavaScript engine (issue 22). */
  protected override poissonMean(g: Tensor): Tensor {
    return g.mul(random.portableExp(this.logits));
  }

  /** sigmoid(logits). */
  get probs(): Tensor {
    return sigmoid(this.logits);
  }

  override logProb(value: Tensor): Tensor {
    const k = asValue(value, this.logits.dtype);
    return maskOutOfSupport(this, value, nbLogitsLogProb(k, this.totalCount, this.logits));
  }

  /** r·exp(l). */
  override get mean(): Tensor {
    return this.totalCount.mul(exp(this.logits));
  }

  /** r·exp(l)/(1 − sigmoid(l)) = mean·(1 + exp(l)). */
  override get variance(): Tensor {
    const m = this.mean;
    return m.mul(exp(this.logits).add(1));
  }
}
