import {
  broadcastShapes,
  broadcastTo,
  type Key,
  reshape,
  type Shape,
  type Tensor,
  transpose,
} from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { Distribution } from "../distribution-base.js";
import { sameShape } from "../param-utils.js";

/**
 * A distribution broadcast to a larger batch shape (NumPyro's ExpandedDistribution): new
 * leading batch axes and unit batch axes of `base` grown to size n. Draws are independent
 * along every expanded axis; `logProb` evaluates `base` and broadcasts.
 * @example
 * new Poisson(tensor([1, 2])).expand([3, 2]).sample(key(0)).shape; // [3, 2]
 */
export class ExpandedDistribution extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {};
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** The distribution being expanded (never itself an ExpandedDistribution). */
  readonly base: Distribution;
  /** Sizes of the new leading batch axes. */
  private readonly leading: number[];
  /** For each batch axis of `base`: the size it grows to, or 1 when it is not grown. */
  private readonly grown: number[];

  constructor(base: Distribution, batchShape: Shape, validateArgs?: boolean) {
    const inner = base instanceof ExpandedDistribution ? base.base : base;
    const b = inner.batchShape;
    const shape = [...batchShape];
    if (shape.length < b.length)
      throw new Error(
        `expand: batch shape [${shape.join(", ")}] has fewer axes than the distribution's [${b.join(", ")}]`,
      );
    const offset = shape.length - b.length;
    const grown: number[] = [];
    b.forEach((d, i) => {
      const t = shape[offset + i]!;
      if (d !== t && d !== 1)
        throw new Error(
          `expand: cannot expand batch shape [${b.join(", ")}] to [${shape.join(", ")}] (axis ${i}: ${d} → ${t})`,
        );
      grown.push(d === 1 && t !== 1 ? t : 1);
    });
    super(shape, inner.eventShape, validateArgs ?? inner.validateArgs);
    this.base = inner;
    this.leading = shape.slice(0, offset);
    this.grown = grown;
  }

  override get support(): Constraint {
    return this.base.support;
  }

  override get reparametrized(): boolean {
    return this.base.reparametrized;
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return this.draw(sampleShape, (s) => this.base.sample(key, s));
  }

  override rsample(key: Key, sampleShape: Shape = []): Tensor {
    return this.draw(sampleShape, (s) => this.base.rsample(key, s));
  }

  /** Draw with the grown sizes as extra sample axes, then move each next to its unit axis. */
  private draw(sampleShape: Shape, f: (s: Shape) => Tensor): Tensor {
    const extra = this.grown.filter((g) => g !== 1);
    const x = f([...sampleShape, ...this.leading, ...extra]);
    if (extra.length === 0) return x;
    const nS = sampleShape.length + this.leading.length;
    const nb = this.grown.length;
    const perm: number[] = Array.from({ length: nS }, (_, i) => i);
    let e = 0;
    for (let i = 0; i < nb; i++) {
      if (this.grown[i] !== 1) perm.push(nS + e++);
      perm.push(nS + extra.length + i);
    }
    for (let i = nS + extra.length + nb; i < x.rank; i++) perm.push(i);
    return reshape(transpose(x, perm), this.shape(sampleShape));
  }

  logProb(value: Tensor): Tensor {
    const lp = this.base.logProb(value);
    const valueBatch = value.shape.slice(0, value.rank - this.eventDim);
    const target = broadcastShapes(valueBatch, this.batchShape);
    return sameShape(lp.shape, target) ? lp : broadcastTo(lp, target);
  }

  override get mean(): Tensor {
    return broadcastTo(this.base.mean, this.shape());
  }

  override get variance(): Tensor {
    return broadcastTo(this.base.variance, this.shape());
  }

  override entropy(): Tensor {
    return broadcastTo(this.base.entropy(), this.batchShape);
  }

  override cdf(value: Tensor): Tensor {
    const c = this.base.cdf(value);
    return broadcastTo(c, broadcastShapes(c.shape, this.batchShape));
  }
}

/** `d.expand(batchShape)`: `d` itself when the batch shape already matches. */
export function expandDistribution(d: Distribution, batchShape: Shape): Distribution {
  return sameShape(d.batchShape, batchShape) ? d : new ExpandedDistribution(d, batchShape);
}
