import { type Key, type Shape, type Tensor, where } from "@scribe/core";
import { type Constraint, independent } from "./constraints.js";
import { Distribution } from "./distribution.js";
import { sumRightmost } from "./param-utils.js";
import { ComposeTransform } from "./transforms/compose.js";
import type { Transform } from "./transforms/transform.js";

/**
 * The law of y = tₙ(…t₁(x)) for x ~ `base`. `logProb(y)` inverts the transforms and subtracts
 * their log-Jacobians; event dims grow when a transform's codomain has more event axes than
 * the base (e.g. StickBreaking on a Normal vector).
 * @example
 * const logNormal = new TransformedDistribution(new Normal(0, 1), [new ExpTransform()]);
 * logNormal.logProb(tensor([1])); // [-0.9189…]
 */
export class TransformedDistribution extends Distribution {
  /** The distribution of x. */
  readonly baseDist: Distribution;
  /** Applied left to right. */
  readonly transforms: readonly Transform[];

  constructor(base: Distribution, transforms: Transform | readonly Transform[], validateArgs?: boolean) {
    const ts = Array.isArray(transforms) ? [...(transforms as Transform[])] : [transforms as Transform];
    const baseShape = base.shape();
    let evDim = base.eventDim;
    for (const t of ts) {
      evDim = Math.max(evDim, t.domain.eventDim) + t.codomain.eventDim - t.domain.eventDim;
    }
    const shape = ts.reduce((s, t) => t.forwardShape(s), baseShape);
    if (evDim > shape.length)
      throw new Error(
        `TransformedDistribution: transforms need ${evDim} event dims but the output shape is [${shape}]`,
      );
    super(
      shape.slice(0, shape.length - evDim),
      shape.slice(shape.length - evDim),
      validateArgs ?? base.validateArgs,
    );
    this.baseDist = base;
    this.transforms = ts;
  }

  override get reparametrized(): boolean {
    return this.baseDist.reparametrized;
  }

  /** The codomain of the last transform, reinterpreted over the event dims. */
  override get support(): Constraint {
    const c = this.transforms.length
      ? this.transforms[this.transforms.length - 1]!.codomain
      : this.baseDist.support;
    return independent(c, Math.max(0, this.eventDim - c.eventDim));
  }

  // The draw maps (`drawForward`: portable exp/log), so that one key gives the same bits in
  // every JavaScript engine (issue 22, item 6); gradients as through `forward`.
  sample(key: Key, sampleShape: Shape = []): Tensor {
    return this.transforms.reduce((x, t) => t.drawForward(x), this.baseDist.sample(key, sampleShape));
  }

  override rsample(key: Key, sampleShape: Shape = []): Tensor {
    return this.transforms.reduce((x, t) => t.drawForward(x), this.baseDist.rsample(key, sampleShape));
  }

  logProb(value: Tensor): Tensor {
    let evDim = this.eventDim;
    let y = value;
    let lp: Tensor | null = null;
    for (let i = this.transforms.length - 1; i >= 0; i--) {
      const t = this.transforms[i]!;
      const x = t.inverse(y);
      evDim += t.domain.eventDim - t.codomain.eventDim;
      const term = sumRightmost(t.logAbsDetJacobian(x, y), evDim - t.domain.eventDim);
      lp = lp ? lp.sub(term) : term.neg();
      y = x;
    }
    const base = sumRightmost(this.baseDist.logProb(y), evDim - this.baseDist.eventDim);
    return lp ? base.add(lp) : base;
  }

  /** Quantile-mapped cdf for a single monotone scalar transform chain. */
  override cdf(value: Tensor): Tensor {
    const t = new ComposeTransform(this.transforms);
    const x = t.inverse(value);
    const c = this.baseDist.cdf(x);
    const s = t.signOf(); // a tensor per element for tensor-valued scales (no readback)
    return typeof s === "number" ? (s > 0 ? c : c.neg().add(1)) : where(s.gt(0), c, c.neg().add(1));
  }

  override icdf(q: Tensor): Tensor {
    const t = new ComposeTransform(this.transforms);
    const s = t.signOf();
    const qb = typeof s === "number" ? (s > 0 ? q : q.neg().add(1)) : where(s.gt(0), q, q.neg().add(1));
    return t.forward(this.baseDist.icdf(qb));
  }
}
