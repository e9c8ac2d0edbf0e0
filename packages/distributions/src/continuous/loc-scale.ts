/**
 * The location-scale families on the real line (Normal, Cauchy, Laplace, Logistic, Gumbel)
 * share their parameters, constraints and construction; each adds its density and moments.
 * @module
 */
import type { Tensor } from "@scribe/core";
import { positive, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check } from "../validation.js";

/** A distribution of `loc + scale · Z` for a fixed standard law of Z on the real line. */
export abstract class LocScaleDistribution extends Distribution {
  static override readonly argConstraints = { loc: real, scale: positive };
  static override readonly support = real;
  static override readonly reparametrized = true;

  /** Location, broadcast to the batch shape (what it means — mean, median, mode — is the subclass's). */
  readonly loc: Tensor;
  /** Scale, broadcast to the batch shape. */
  readonly scale: Tensor;

  /** @param name The distribution's name, for error messages (class names do not survive minification). */
  protected constructor(name: string, loc: ParamLike, scale: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams(name, { loc, scale });
    super(batchShape, [], validateArgs);
    this.loc = values.loc;
    this.scale = values.scale;
    if (this.validateArgs) check(name, values, LocScaleDistribution.argConstraints);
  }
}
