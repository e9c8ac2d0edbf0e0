import {
  abs,
  add,
  div,
  exp,
  expm1,
  floor,
  type Key,
  logSigmoid,
  lt,
  maximum,
  mul,
  neg,
  random,
  type Shape,
  sigmoid,
  type Tensor,
  where,
} from "@scribe/core";
import { nonnegativeInteger, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";
import { sampleGeometric } from "./geometric-probs.js";

/**
 * Geometric with the success probability given as logits, p = sigmoid(l):
 * log p(k) = k·logσ(−l) + logσ(l).
 * @example
 * new GeometricLogits(tensor([0])).logProb(tensor([1]));
 */
export class GeometricLogits extends Distribution {
  static override readonly argConstraints = { logits: real };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** Log-odds of success, broadcast to the batch shape. */
  readonly logits: Tensor;

  constructor(logits: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("GeometricLogits", { logits });
    super(batchShape, [], validateArgs);
    this.logits = values.logits;
    checkArgs(this, values);
  }

  /** Success probability sigmoid(logits). */
  get probs(): Tensor {
    return sigmoid(this.logits);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    // log σ(−l) = −max(l, 0) − log1p(e^−|l|) with portable ops: the same bits in every
    // JavaScript engine (issue 22); stable for either sign of l
    const l = this.logits;
    const logFail = neg(add(maximum(l, 0), random.portableLog1p(random.portableExp(neg(abs(l))))));
    return sampleGeometric(key, logFail, this.shape(sampleShape));
  }

  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.logits.dtype);
    return maskOutOfSupport(this, value, mul(k, logSigmoid(neg(this.logits))).add(logSigmoid(this.logits)));
  }

  /** (1 − p)/p = exp(−l). */
  override get mean(): Tensor {
    return exp(neg(this.logits));
  }

  override get variance(): Tensor {
    return div(exp(neg(this.logits)), this.probs);
  }

  override cdf(value: Tensor): Tensor {
    const k = floor(asValue(value, this.logits.dtype));
    return where(lt(k, 0), 0, neg(expm1(mul(add(k, 1), logSigmoid(neg(this.logits))))));
  }
}
