import type { Key, Shape, Tensor } from "@scribe/core";
import { type Constraint, independent } from "../constraints.js";
import { Distribution } from "../distribution-base.js";
import { sumRightmost } from "../param-utils.js";

/**
 * Reinterprets the rightmost `reinterpretedBatchNdims` batch axes of `base` as event axes:
 * `logProb` sums over them (NumPyro's Independent / `toEvent`).
 * @example
 * new Poisson(tensor([[1, 2, 3]])).toEvent(1).logProb(tensor([[0, 1, 2]])).shape; // [1]
 */
export class Independent extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {};
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** The wrapped distribution. */
  readonly base: Distribution;
  /** How many batch axes became event axes. */
  readonly reinterpretedBatchNdims: number;

  constructor(base: Distribution, reinterpretedBatchNdims: number, validateArgs?: boolean) {
    const n = reinterpretedBatchNdims;
    if (!Number.isInteger(n) || n < 0 || n > base.batchShape.length)
      throw new Error(
        `Independent: reinterpretedBatchNdims must be an integer in [0, ${base.batchShape.length}] for batch shape [${base.batchShape.join(", ")}], got ${n}`,
      );
    const cut = base.batchShape.length - n;
    super(
      base.batchShape.slice(0, cut),
      [...base.batchShape.slice(cut), ...base.eventShape],
      validateArgs ?? base.validateArgs,
    );
    this.base = base;
    this.reinterpretedBatchNdims = n;
  }

  override get support(): Constraint {
    return independent(this.base.support, this.reinterpretedBatchNdims);
  }

  override get reparametrized(): boolean {
    return this.base.reparametrized;
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return this.base.sample(key, sampleShape);
  }

  override rsample(key: Key, sampleShape: Shape = []): Tensor {
    return this.base.rsample(key, sampleShape);
  }

  logProb(value: Tensor): Tensor {
    return sumRightmost(this.base.logProb(value), this.reinterpretedBatchNdims);
  }

  override get mean(): Tensor {
    return this.base.mean;
  }

  override get variance(): Tensor {
    return this.base.variance;
  }

  override entropy(): Tensor {
    return sumRightmost(this.base.entropy(), this.reinterpretedBatchNdims);
  }
}

/** `d.toEvent(n)`: nested reinterpretations merge into one Independent. */
export function toEventDistribution(d: Distribution, n: number): Distribution {
  if (n === 0) return d;
  if (d instanceof Independent) return new Independent(d.base, d.reinterpretedBatchNdims + n);
  return new Independent(d, n);
}
