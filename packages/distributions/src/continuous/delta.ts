import {
  add,
  broadcastShapes,
  broadcastTo,
  eq,
  type Key,
  type Shape,
  type Tensor,
  where,
  zerosLike,
} from "@scribe/core";
import { type Constraint, independent, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asFloat, type ParamLike, paramDtype, sumRightmost } from "../param-utils.js";

/**
 * A point mass at `v` (the rightmost `eventDim` axes of `v` are the event), with an optional
 * extra `logDensity` added to every log-probability (NumPyro's Delta, used for deterministic
 * sites and by autoguides).
 * @example
 * new Delta(tensor([1, 2])).logProb(tensor([1, 3])); // [0, −∞]
 */
export class Delta extends Distribution {
  static override readonly argConstraints = { v: real, logDensity: real };
  static override readonly support: Constraint | null = real;
  static override readonly reparametrized = true;

  /** The atom. */
  readonly v: Tensor;
  /** Added to the log-probability (batch-shaped). */
  readonly logDensity: Tensor;

  constructor(v: ParamLike = 0, logDensity: ParamLike = 0, eventDim = 0, validateArgs?: boolean) {
    const dtype = paramDtype([v, logDensity]);
    const vt = asFloat(v, dtype);
    if (eventDim > vt.rank)
      throw new Error(`Delta: eventDim ${eventDim} exceeds the rank of v [${vt.shape}]`);
    const batch = vt.shape.slice(0, vt.rank - eventDim);
    const ld = asFloat(logDensity, dtype);
    let fullBatch: number[];
    try {
      fullBatch = broadcastShapes(batch, ld.shape);
    } catch {
      throw new Error(
        `Delta: logDensity shape [${ld.shape}] does not broadcast with the batch shape [${batch}] of v`,
      );
    }
    super(fullBatch, vt.shape.slice(vt.rank - eventDim), validateArgs);
    this.v = broadcastTo(vt, [...fullBatch, ...this.eventShape]);
    this.logDensity = broadcastTo(ld, fullBatch);
  }

  /** independent(real, eventDim). */
  override get support(): Constraint {
    return independent(real, this.eventDim);
  }

  /** `v` repeated over `sampleShape` (differentiable in `v`). */
  sample(_key: Key, sampleShape: Shape = []): Tensor {
    return broadcastTo(this.v, this.shape(sampleShape));
  }

  /** 0 where value equals v (over the whole event), −∞ elsewhere, plus logDensity. */
  logProb(value: Tensor): Tensor {
    const lp = sumRightmost(where(eq(value, this.v), 0, -Infinity), this.eventDim);
    return add(lp, this.logDensity);
  }

  override get mean(): Tensor {
    return this.v;
  }

  override get variance(): Tensor {
    return zerosLike(this.v);
  }
}
