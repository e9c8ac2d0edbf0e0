import {
  add,
  broadcastTo,
  clamp,
  div,
  erfc,
  exp,
  expm1,
  gt,
  isfinite,
  type Key,
  log,
  logNdtr,
  mul,
  ndtri,
  neg,
  random,
  type Shape,
  square,
  stopGradient,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { type Constraint, dependent, interval, positive, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { type ParamLike, promoteParams } from "../param-utils.js";
import { validateArgs as check, maskOutOfSupport } from "../validation.js";
import { HALF_LOG_2PI } from "./helpers.js";

/** Standardized bounds are clamped here: Φ is 0 or 1 to every precision beyond, and gradients stay finite. */
const ZMAX = 1e4;

/** log(Φ(b) − Φ(a)) for a ≤ b, evaluated in the lower tail (reflecting when a > 0) with logNdtr. @internal */
export function logDiffNdtr(a: Tensor, b: Tensor): Tensor {
  const flip = gt(a, 0);
  const lo = where(flip, neg(b), a);
  const hi = where(flip, neg(a), b);
  const lhi = logNdtr(hi);
  return add(lhi, log(neg(expm1(sub(logNdtr(lo), lhi)))));
}

function logPhi(z: Tensor): Tensor {
  return sub(mul(square(z), -0.5), HALF_LOG_2PI);
}

function ndtr(z: Tensor): Tensor {
  return mul(erfc(mul(z, -Math.SQRT1_2)), 0.5);
}

/**
 * Normal(loc, scale) restricted to [low, high] (either end may be infinite). The normalizer
 * log(Φ(β) − Φ(α)) is computed in log space in the lower tail, so intervals far out in either
 * tail keep full precision. Draws are exact (tail-accurate sampler) and reparameterized by
 * implicit differentiation of the truncated cdf.
 * @example
 * new TruncatedNormal(0, 1, 0).mean; // [√(2/π)]
 */
export class TruncatedNormal extends Distribution {
  static override readonly argConstraints = { loc: real, scale: positive, low: dependent, high: dependent };
  static override readonly support: Constraint | null = dependent;
  static override readonly reparametrized = true;

  /** Mean of the untruncated normal. */
  readonly loc: Tensor;
  /** Standard deviation of the untruncated normal. */
  readonly scale: Tensor;
  /** Lower bound (may be −∞). */
  readonly low: Tensor;
  /** Upper bound (may be +∞). */
  readonly high: Tensor;

  constructor(
    loc: ParamLike = 0,
    scale: ParamLike = 1,
    low: ParamLike = -Infinity,
    high: ParamLike = Infinity,
    validateArgs?: boolean,
  ) {
    const { values, batchShape } = promoteParams("TruncatedNormal", { loc, scale, low, high });
    super(batchShape, [], validateArgs);
    this.loc = values.loc;
    this.scale = values.scale;
    this.low = values.low;
    this.high = values.high;
    if (this.validateArgs) {
      check("TruncatedNormal", values, TruncatedNormal.argConstraints);
      check("TruncatedNormal", { "high - low": sub(values.high, values.low) }, { "high - low": positive });
    }
  }

  /** interval(low, high). */
  override get support(): Constraint {
    return interval(this.low, this.high);
  }

  /** (bound − loc)/scale, clamped to ±1e4; infinite bounds are kept off the gradient path. */
  private standardize(bound: Tensor): Tensor {
    const fin = isfinite(bound);
    const z = div(sub(where(fin, bound, 0), this.loc), this.scale);
    return clamp(where(fin, z, where(gt(bound, 0), ZMAX, -ZMAX)), -ZMAX, ZMAX);
  }

  private get alpha(): Tensor {
    return this.standardize(this.low);
  }

  private get beta(): Tensor {
    return this.standardize(this.high);
  }

  /** log Z = log(Φ(β) − Φ(α)). */
  private logZ(a = this.alpha, b = this.beta): Tensor {
    return logDiffNdtr(a, b);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const a = this.alpha;
    const b = this.beta;
    const shape = this.shape(sampleShape);
    const z0 = random.truncatedNormal(key, stopGradient(a), stopGradient(b), shape, {
      dtype: this.loc.dtype,
    });
    // Implicit reparameterization: F(z; α, β) = u held fixed, so dz/dθ = −(∂F/∂θ) / f(z).
    const logZ = this.logZ(a, b);
    const zc = clamp(z0, a, b);
    const F = exp(sub(logDiffNdtr(broadcastTo(a, shape), stopGradient(zc)), logZ));
    const f = exp(sub(logPhi(z0), logZ));
    const z = sub(z0, div(sub(F, stopGradient(F)), stopGradient(f)));
    return add(this.loc, mul(this.scale, z));
  }

  logProb(value: Tensor): Tensor {
    const z = div(sub(value, this.loc), this.scale);
    const lp = sub(sub(logPhi(z), log(this.scale)), this.logZ());
    return maskOutOfSupport(this, value, lp);
  }

  override get mean(): Tensor {
    const logZ = this.logZ();
    const r = sub(exp(sub(logPhi(this.alpha), logZ)), exp(sub(logPhi(this.beta), logZ)));
    return add(this.loc, mul(this.scale, r));
  }

  override get variance(): Tensor {
    const a = this.alpha;
    const b = this.beta;
    const logZ = this.logZ(a, b);
    const pa = exp(sub(logPhi(a), logZ));
    const pb = exp(sub(logPhi(b), logZ));
    const t = add(sub(1, square(sub(pa, pb))), sub(mul(a, pa), mul(b, pb)));
    return mul(square(this.scale), t);
  }

  override cdf(value: Tensor): Tensor {
    const a = this.alpha;
    const b = this.beta;
    const z = clamp(div(sub(value, this.loc), this.scale), a, b);
    return clamp(exp(sub(logDiffNdtr(a, z), this.logZ(a, b))), 0, 1);
  }

  override icdf(q: Tensor): Tensor {
    const a = this.alpha;
    const b = this.beta;
    const left = ndtri(add(ndtr(a), mul(q, sub(ndtr(b), ndtr(a)))));
    const right = neg(ndtri(add(ndtr(neg(b)), mul(sub(1, q), sub(ndtr(neg(a)), ndtr(neg(b)))))));
    return add(this.loc, mul(this.scale, where(gt(a, 0), right, left)));
  }

  override entropy(): Tensor {
    const a = this.alpha;
    const b = this.beta;
    const logZ = this.logZ(a, b);
    const pa = exp(sub(logPhi(a), logZ));
    const pb = exp(sub(logPhi(b), logZ));
    const e = add(add(add(log(this.scale), logZ), 0.5 + HALF_LOG_2PI), mul(sub(mul(a, pa), mul(b, pb)), 0.5));
    return broadcastTo(e, this.batchShape);
  }
}
