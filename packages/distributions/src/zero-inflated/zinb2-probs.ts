import { eq, expm1, gt, log1p, logicalAnd, mul, sub, type Tensor, where } from "@scribe/core";
import { NegativeBinomial2 } from "../conjugate/negative-binomial-2.js";
import { type Constraint, nonnegativeInteger, positive, unitInterval } from "../constraints.js";
import { nb2LogProb } from "../kernels/negative-binomial.js";
import { zinb2LogProb } from "../kernels/zinb2.js";
import { asFloat, asValue, type ParamLike, paramDtype } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { ZeroInflatedProbs } from "./zero-inflated-probs.js";

/**
 * Zero-inflated NegativeBinomial2(mean, concentration) with the gate as a probability; the
 * log-pmf is the core's fused `zinb2LogProb`, with the zero branch re-evaluated as
 * log1p((1 − g)·expm1(log NB(0))) where p(0) > ½ (a gate near 1 then keeps full relative
 * accuracy). Usually built with `ZeroInflatedNegativeBinomial2`.
 * @example
 * new ZINB2Probs(tensor([10]), tensor([2]), tensor([0.3])).logProb(tensor([0, 8]));
 */
export class ZINB2Probs extends ZeroInflatedProbs {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {
    mean: positive,
    concentration: positive,
    gate: unitInterval,
  };
  static override readonly support: Constraint | null = nonnegativeInteger;
  static override readonly reparametrized = false;

  declare readonly base: NegativeBinomial2;

  constructor(mean: ParamLike, concentration: ParamLike, gate: ParamLike, validateArgs?: boolean) {
    const dtype = paramDtype([mean, concentration, gate]);
    super(
      new NegativeBinomial2(asFloat(mean, dtype), asFloat(concentration, dtype), validateArgs),
      asFloat(gate, dtype),
      validateArgs,
    );
  }

  override logProb(value: Tensor): Tensor {
    const y = asValue(value, this.gate.dtype);
    const m = this.base.loc;
    const c = this.base.concentration;
    const lp = zinb2LogProb(y, m, c, this.gate);
    // see the class note: the kernel's log(g + (1 − g)·NB(0)) loses relative accuracy as it nears 0
    const fixed = log1p(mul(sub(1, this.gate), expm1(nb2LogProb(0, m, c))));
    return maskOutOfSupport(this, value, where(logicalAnd(eq(y, 0), gt(lp, -Math.LN2)), fixed, lp));
  }
}
