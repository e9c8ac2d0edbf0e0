import type { Tensor } from "@scribe/core";
import { type Constraint, positive } from "../constraints.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check } from "../validation.js";
import { Gamma } from "./gamma.js";

/**
 * Chi-squared distribution with `df` degrees of freedom: Gamma(df/2, rate ½).
 * @example
 * new Chi2(3).mean; // [3]
 */
export class Chi2 extends Gamma {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = { df: positive };

  /** Degrees of freedom. */
  readonly df: Tensor;

  constructor(df: ParamLike, validateArgs?: boolean) {
    const { values } = promoteParams("Chi2", { df });
    super(values.df.mul(0.5), 0.5, validateArgs);
    this.df = values.df;
    if (this.validateArgs) check("Chi2", values, Chi2.argConstraints);
  }
}
