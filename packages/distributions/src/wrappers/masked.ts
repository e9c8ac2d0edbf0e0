import {
  astype,
  broadcastShapes,
  broadcastTo,
  type Key,
  type Shape,
  type Tensor,
  Tensor as TensorClass,
  where,
  zeros,
} from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { Distribution } from "../distribution-base.js";
import { broadcastNamed, distDtype, sameShape, unsqueezeRight } from "../param-utils.js";

/**
 * Masks the log-density of `base` (false → 0) without changing sampling (NumPyro's
 * MaskedDistribution, used by `mask` handlers and partially observed sites). Where the mask
 * is false the base log-density is evaluated at a feasible value of its support
 * (`support.feasibleLike`) and then zeroed with `where`, so neither the value nor the
 * gradient turns NaN there, whatever the masked value was.
 * @example
 * new Poisson(tensor([1, 2])).mask(tensor([true, false])).logProb(tensor([3, -1])); // [lp, 0]
 */
export class MaskedDistribution extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {};
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** The wrapped distribution. */
  readonly base: Distribution;
  /** The mask: a bool tensor broadcasting with the batch shape, or a constant. */
  readonly maskValue: Tensor | boolean;

  constructor(base: Distribution, mask: Tensor | boolean, validateArgs?: boolean) {
    let batchShape = base.batchShape;
    let m: Tensor | boolean = mask;
    if (mask instanceof TensorClass) {
      batchShape = broadcastNamed("MaskedDistribution", { "base batch": base.batchShape, mask: mask.shape });
      m = mask.dtype === "bool" ? mask : astype(mask, "bool");
    }
    super(batchShape, base.eventShape, validateArgs ?? base.validateArgs);
    this.base = base;
    this.maskValue = m;
  }

  override get support(): Constraint {
    return this.base.support;
  }

  override get reparametrized(): boolean {
    return this.base.reparametrized;
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const b = sameShape(this.base.batchShape, this.batchShape)
      ? this.base
      : this.base.expand(this.batchShape);
    return b.sample(key, sampleShape);
  }

  override rsample(key: Key, sampleShape: Shape = []): Tensor {
    const b = sameShape(this.base.batchShape, this.batchShape)
      ? this.base
      : this.base.expand(this.batchShape);
    return b.rsample(key, sampleShape);
  }

  logProb(value: Tensor): Tensor {
    const valueBatch = value.shape.slice(0, value.rank - this.eventDim);
    const target = broadcastShapes(valueBatch, this.batchShape);
    if (this.maskValue === false) return zeros(target, distDtype(this.base));
    if (this.maskValue === true) return this.base.logProb(value);
    const m = this.maskValue;
    let safe = value;
    let feasible: Tensor | null = null;
    try {
      feasible = this.base.support.feasibleLike(value);
    } catch {
      feasible = null; // a support without a feasible point: evaluate as is
    }
    if (feasible) safe = where(unsqueezeRight(m, this.eventDim), value, feasible);
    const lp = this.base.logProb(safe);
    const out = where(m, lp, 0);
    return sameShape(out.shape, target) ? out : broadcastTo(out, target);
  }

  override get mean(): Tensor {
    return broadcastTo(this.base.mean, this.shape());
  }

  override get variance(): Tensor {
    return broadcastTo(this.base.variance, this.shape());
  }
}

/** `d.mask(mask)`: `d` itself for `true`. */
export function maskDistribution(d: Distribution, mask: Tensor | boolean): Distribution {
  if (mask === true) return d;
  return new MaskedDistribution(d, mask);
}
