import {
  abs,
  add,
  div,
  floor,
  gammaincc,
  ge,
  type Key,
  lfactorial,
  log,
  lt,
  maximum,
  mul,
  random,
  type Shape,
  specialScalar,
  square,
  sub,
  type Tensor,
  where,
  xlogy,
} from "@scribe/core";
import { nonnegative, nonnegativeInteger } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asValue, checkArgs, type ParamLike, promoteParams } from "../param-utils.js";
import { maskOutOfSupport } from "../validation.js";

/**
 * From this count on, log p(k) uses the Stirling-difference form (Loader 2000, "Fast and
 * accurate computation of binomial probabilities"): −stirlerr(k) − ½ log(2πk) − bd0(k, λ).
 * The direct form k log λ − λ − log k! cancels terms of size k log k (at k = λ = 1e15 it keeps
 * one digit); at 15 both forms agree to ~1e-14 and the five-term stirlerr series to ~2e-16.
 */
const STIRLING_FORM_MIN = 15;
/** Below this |v| = |k − λ|/(k + λ), bd0 uses its odd series in v (10 terms reach 1e-20). */
const BD0_SERIES_MAX_V = 0.1;
const BD0_SERIES_TERMS = 10;

/**
 * stirlerr(k) = log k! − [(k + ½) log k − k + ½ log 2π] for k ≥ 15, from the Stirling series
 * (core's coefficient table B₂ⱼ/(2j(2j − 1)); its first five terms suffice there).
 */
function stirlingError(k: Tensor): Tensor {
  const c = specialScalar.LGAMMA_STIRLING_COEFFS.slice(0, 5);
  const z = div(1, square(k));
  let s: Tensor | number = c[c.length - 1] ?? 0;
  for (let i = c.length - 2; i >= 0; i--) s = add(mul(s, z), c[i] ?? 0);
  return div(s, k);
}

/**
 * bd0(k, λ) = k log(k/λ) + λ − k ≥ 0 without cancellation: for |v| < 0.1, v = (k − λ)/(k + λ),
 * (k − λ)·v + 2k Σ_{j≥1} v^(2j+1)/(2j + 1) (Loader 2000, §2); else the plain form.
 */
function bd0(k: Tensor, rate: Tensor): Tensor {
  const diff = sub(k, rate);
  const v = div(diff, add(k, rate));
  const v2 = square(v);
  let tail: Tensor | number = 1 / (2 * BD0_SERIES_TERMS + 1);
  for (let j = BD0_SERIES_TERMS - 1; j >= 1; j--) tail = add(mul(tail, v2), 1 / (2 * j + 1));
  const series = add(mul(diff, v), mul(mul(mul(k, 2), mul(v, v2)), tail));
  const plain = sub(add(mul(k, sub(log(k), log(rate))), rate), k);
  return where(lt(abs(v), BD0_SERIES_MAX_V), series, plain);
}

/**
 * Poisson(rate λ ≥ 0): log p(k) = k log λ − λ − log k!, with 0·log 0 = 0 so that rate 0 puts
 * all its mass on k = 0.
 * @example
 * new Poisson(tensor([3.5])).logProb(tensor([2]));
 */
export class Poisson extends Distribution {
  static override readonly argConstraints = { rate: nonnegative };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** The rate λ (mean), broadcast to the batch shape. */
  readonly rate: Tensor;

  constructor(rate: ParamLike, validateArgs?: boolean) {
    const { values, batchShape } = promoteParams("Poisson", { rate });
    super(batchShape, [], validateArgs);
    this.rate = values.rate;
    checkArgs(this, values);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return random.poisson(key, this.rate, this.shape(sampleShape), { dtype: this.rate.dtype });
  }

  /** k log λ − λ − log k!; from k = 15 on in the Stirling-difference form (see STIRLING_FORM_MIN). */
  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.rate.dtype);
    const direct = xlogy(k, this.rate).sub(this.rate).sub(lfactorial(k));
    // the unused branch must stay finite for k < 15 (gradients pass through where)
    const kl = maximum(k, STIRLING_FORM_MIN);
    const halfLog2piK = add(mul(log(kl), 0.5), specialScalar.HALF_LOG_2PI);
    const large = sub(sub(mul(stirlingError(kl), -1), halfLog2piK), bd0(kl, this.rate));
    return maskOutOfSupport(this, value, where(ge(k, STIRLING_FORM_MIN), large, direct));
  }

  override get mean(): Tensor {
    return this.rate;
  }

  override get variance(): Tensor {
    return this.rate;
  }

  /** P(X ≤ k) = Q(⌊k⌋ + 1, λ), the regularized upper incomplete gamma. */
  override cdf(value: Tensor): Tensor {
    const k = floor(asValue(value, this.rate.dtype));
    return where(lt(k, 0), 0, gammaincc(add(where(lt(k, 0), 0, k), 1), this.rate));
  }
}
