import {
  add,
  broadcastTo,
  eq,
  type Key,
  mul,
  neg,
  random,
  type Shape,
  sigmoid,
  softplus,
  splitKey,
  square,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { type Constraint, dependent, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asFloat, broadcastNamed, checkArgs, distDtype, type ParamLike, sameShape } from "../param-utils.js";

/**
 * Zero inflation with the gate given as logits l (gate = sigmoid(l)); the log-pmf stays in
 * log space: with b = log p_base(k), k > 0 gives b − softplus(l) and k = 0 gives
 * softplus(b − l) − softplus(−l).
 * @example
 * new ZeroInflatedLogits(new Poisson(tensor([3])), tensor([-1])).logProb(tensor([0, 2]));
 */
export class ZeroInflatedLogits extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = { gateLogits: real };
  static override readonly support: Constraint | null = dependent;
  static override readonly reparametrized = false;

  /** The count distribution that is inflated. */
  readonly base: Distribution;
  /** Logit of the structural-zero probability, broadcast to the batch shape. */
  readonly gateLogits: Tensor;

  constructor(base: Distribution, gateLogits: ParamLike, validateArgs?: boolean) {
    const l = asFloat(gateLogits, typeof gateLogits === "number" ? distDtype(base) : gateLogits.dtype);
    const batchShape = broadcastNamed("ZeroInflatedLogits", {
      "base batch": base.batchShape,
      gateLogits: l.shape,
    });
    super(batchShape, base.eventShape, validateArgs);
    this.base = base;
    this.gateLogits = sameShape(l.shape, batchShape) ? l : broadcastTo(l, batchShape);
    checkArgs(this, { gateLogits: this.gateLogits });
  }

  /** sigmoid(gateLogits). */
  get gate(): Tensor {
    return sigmoid(this.gateLogits);
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
    const zero = random.bernoulli(kg, this.gate, this.shape(sampleShape), { dtype: this.gateLogits.dtype });
    return where(eq(zero, 1), 0, x);
  }

  logProb(value: Tensor): Tensor {
    return zeroInflateLogits(value, this.base.logProb(value), this.gateLogits);
  }

  override get mean(): Tensor {
    return mul(sub(1, this.gate), this.base.mean);
  }

  override get variance(): Tensor {
    const g = this.gate;
    const m = this.base.mean;
    return mul(sub(1, g), add(this.base.variance, mul(g, square(m))));
  }
}

/** Zero-inflated log-pmf, logit gate. @internal */
export function zeroInflateLogits(value: Tensor, lp: Tensor, gateLogits: Tensor): Tensor {
  const shifted = sub(lp, gateLogits);
  const logGate = neg(softplus(neg(gateLogits)));
  return where(eq(value, 0), add(softplus(shifted), logGate), add(shifted, logGate));
}
