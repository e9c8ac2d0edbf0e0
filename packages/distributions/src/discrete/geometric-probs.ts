import {
  add,
  div,
  expm1,
  floor,
  type Key,
  log,
  log1p,
  lt,
  mul,
  neg,
  random,
  type Shape,
  square,
  sub,
  type Tensor,
  where,
  xlog1py,
} from "@scribe/core";
import { nonnegativeInteger, unitInterval } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";

/**
 * Geometric(probs p): the number of failures before the first success, each trial
 * succeeding with probability p: log p(k) = k log(1 − p) + log p, mean (1 − p)/p.
 * (Here `probs` is the success probability that ends the count, the opposite role from
 * NegativeBinomialProbs' `probs`, as in NumPyro.)
 * @example
 * new GeometricProbs(tensor([0.5])).logProb(tensor([3])); // 4·log 0.5
 */
export class GeometricProbs extends Distribution {
  static override readonly argConstraints = { probs: unitInterval };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** Success probability, broadcast to the batch shape. */
  readonly probs: Tensor;

  constructor(probs: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("GeometricProbs", { probs });
    super(batchShape, [], validateArgs);
    this.probs = values.probs;
    checkArgs(this, values);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return sampleGeometric(key, random.portableLog1p(neg(this.probs)), this.shape(sampleShape));
  }

  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.probs.dtype);
    return maskOutOfSupport(this, value, xlog1py(k, neg(this.probs)).add(log(this.probs)));
  }

  override get mean(): Tensor {
    return div(sub(1, this.probs), this.probs);
  }

  override get variance(): Tensor {
    return div(sub(1, this.probs), square(this.probs));
  }

  /** P(X ≤ k) = 1 − (1 − p)^(⌊k⌋ + 1). */
  override cdf(value: Tensor): Tensor {
    const k = floor(asValue(value, this.probs.dtype));
    return where(lt(k, 0), 0, neg(expm1(mul(add(k, 1), log1p(neg(this.probs))))));
  }
}

/**
 * Inversion sampler: ⌊log U / log(1 − p)⌋ with U uniform on (0, 1]; `log1mp` = log(1 − p).
 * @internal
 */
export function sampleGeometric(key: Key, log1mp: Tensor, shape: Shape): Tensor {
  const u = sub(1, random.uniform(key, [...shape], 0, 1, { dtype: log1mp.dtype }));
  // portable log: the same bits in every JavaScript engine (issue 22)
  return floor(div(random.portableLog(u), log1mp));
}
