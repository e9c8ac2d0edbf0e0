import {
  add,
  broadcastTo,
  eq,
  exp,
  expm1,
  gt,
  type Key,
  log,
  log1p,
  mul,
  neg,
  random,
  type Shape,
  splitKey,
  square,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { NegativeBinomialProbs } from "../conjugate/negative-binomial-probs.js";
import { type Constraint, dependent, unitInterval } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { zinbProbsLogProb } from "../kernels/negative-binomial.js";
import {
  asFloat,
  asValue,
  broadcastNamed,
  checkArgs,
  distDtype,
  type ParamLike,
  sameShape,
} from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";

/**
 * Zero inflation of a count distribution with gate probability g: with probability g the
 * value is an extra (structural) zero, otherwise it is drawn from `base`.
 * log p(0) = log(g + (1 − g)·p_base(0)) and log p(k) = log(1 − g) + log p_base(k) for k > 0.
 * The zero branch is evaluated as log1p((1 − g)·expm1(log p_base(0))) when p(0) ≥ ½ (so a
 * gate near 1 keeps full relative accuracy) and as a plain log of the sum otherwise.
 * @example
 * new ZeroInflatedProbs(new Poisson(tensor([3])), tensor([0.2])).logProb(tensor([0]));
 */
export class ZeroInflatedProbs extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = { gate: unitInterval };
  static override readonly support: Constraint | null = dependent;
  static override readonly reparametrized = false;

  /** The count distribution that is inflated. */
  readonly base: Distribution;
  /** Probability of a structural zero, broadcast to the batch shape. */
  readonly gate: Tensor;

  constructor(base: Distribution, gate: ParamLike, validateArgs?: boolean) {
    const g = asFloat(gate, typeof gate === "number" ? distDtype(base) : gate.dtype);
    const batchShape = broadcastNamed("ZeroInflatedProbs", { "base batch": base.batchShape, gate: g.shape });
    super(batchShape, base.eventShape, validateArgs);
    this.base = base;
    this.gate = sameShape(g.shape, batchShape) ? g : broadcastTo(g, batchShape);
    checkArgs(this, { gate: this.gate });
  }

  override get support(): Constraint {
    return this.base.support;
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [kb, kg] = splitKey(key, 2) as [Key, Key];
    const b = sameShape(this.base.batchShape, this.batchShape)
      ? this.base
      : this.base.expand(this.batchShape);
    const x = b.sample(kb, sampleShape);
    const zero = random.bernoulli(kg, this.gate, this.shape(sampleShape), { dtype: this.gate.dtype });
    return where(eq(zero, 1), 0, x);
  }

  logProb(value: Tensor): Tensor {
    // A negative-binomial base has a fused, count-aware zero-inflated kernel in the core.
    if (this.base instanceof NegativeBinomialProbs) {
      const k = asValue(value, this.base.probs.dtype);
      return maskOutOfSupport(
        this,
        value,
        zinbProbsLogProb(k, this.base.totalCount, this.base.probs, this.gate),
      );
    }
    return zeroInflate(value, this.base.logProb(value), this.gate);
  }

  override get mean(): Tensor {
    return mul(sub(1, this.gate), this.base.mean);
  }

  /** (1 − g)·(σ² + g·μ²) with μ, σ² the base moments. */
  override get variance(): Tensor {
    const m = this.base.mean;
    return mul(sub(1, this.gate), add(this.base.variance, mul(this.gate, square(m))));
  }
}

/**
 * Zero-inflated log-pmf from the base log-pmf `lp` at `value` and the gate probability.
 * @internal
 */
export function zeroInflate(value: Tensor, lp: Tensor, gate: Tensor): Tensor {
  const keep = sub(1, gate);
  const nonzero = add(log1p(neg(gate)), lp);
  const s = add(gate, mul(keep, exp(lp)));
  const zero = where(gt(s, 0.5), log1p(mul(keep, expm1(lp))), log(s));
  return where(eq(value, 0), zero, nonzero);
}
