import type { Tensor } from "@scribe/core";
import { type Constraint, nonnegativeInteger, positive, unitInterval } from "../constraints.js";
import { Poisson } from "../discrete/poisson.js";
import { asFloat, type ParamLike, paramDtype } from "../param-utils.js";
import { ZeroInflatedProbs } from "./zero-inflated-probs.js";

/**
 * ZeroInflatedPoisson(gate g, rate λ): a Poisson(λ) with extra zeros of probability g.
 * @example
 * new ZeroInflatedPoisson(tensor([0.3]), tensor([2])).logProb(tensor([0]));
 */
export class ZeroInflatedPoisson extends ZeroInflatedProbs {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {
    gate: unitInterval,
    rate: positive,
  };
  static override readonly support: Constraint | null = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** The Poisson rate, broadcast to the base's batch shape. */
  readonly rate: Tensor;

  constructor(gate: ParamLike, rate: ParamLike = 1, validateArgs?: boolean) {
    const dtype = paramDtype([gate, rate]);
    const base = new Poisson(asFloat(rate, dtype), validateArgs);
    super(base, asFloat(gate, dtype), validateArgs);
    this.rate = base.rate;
  }
}
