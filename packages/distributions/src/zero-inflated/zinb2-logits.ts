import type { Tensor } from "@scribe/core";
import { NegativeBinomial2 } from "../conjugate/negative-binomial-2.js";
import { type Constraint, nonnegativeInteger, positive, real } from "../constraints.js";
import { zinb2LogitsLogProb } from "../kernels/zinb2.js";
import { asFloat, asValue, type ParamLike, paramDtype } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { ZeroInflatedLogits } from "./zero-inflated-logits.js";

/**
 * Zero-inflated NegativeBinomial2(mean, concentration) with the gate as logits; the log-pmf
 * is the core's fused `zinb2LogitsLogProb`. Usually built with
 * `ZeroInflatedNegativeBinomial2`.
 * @example
 * new ZINB2Logits(tensor([10]), tensor([2]), tensor([-1])).logProb(tensor([0, 8]));
 */
export class ZINB2Logits extends ZeroInflatedLogits {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {
    mean: positive,
    concentration: positive,
    gateLogits: real,
  };
  static override readonly support: Constraint | null = nonnegativeInteger;
  static override readonly reparametrized = false;

  declare readonly base: NegativeBinomial2;

  constructor(mean: ParamLike, concentration: ParamLike, gateLogits: ParamLike, validateArgs?: boolean) {
    const dtype = paramDtype([mean, concentration, gateLogits]);
    super(
      new NegativeBinomial2(asFloat(mean, dtype), asFloat(concentration, dtype), validateArgs),
      asFloat(gateLogits, dtype),
      validateArgs,
    );
  }

  override logProb(value: Tensor): Tensor {
    const y = asValue(value, this.gateLogits.dtype);
    return maskOutOfSupport(
      this,
      value,
      zinb2LogitsLogProb(y, this.base.loc, this.base.concentration, this.gateLogits),
    );
  }
}
