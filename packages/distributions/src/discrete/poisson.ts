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
  neg,
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
 * one digit); at 50 it is still good to ~1e-14 and three stirlerr terms to ~1e-16. Both forms
 * are built for every element (no synchronous reads), so the large-count one is kept short.
 */
const STIRLING_FORM_MIN = 50;
/**
 * Below this |v| = |k − λ|/(k + λ), bd0 uses its odd series in v; four terms leave v⁷/11 ≈ 1e-15
 * relative there. Above it the plain form loses only ~ε/|v| ≤ 1e-14 relative.
 */
const BD0_SERIES_MAX_V = 0.01;
/** 2/(2j + 1), j = 1..4: the series tail of bd0 (see bd0). */
const BD0_TAIL = [2 / 3, 2 / 5, 2 / 7, 2 / 9];

/**
 * stirlerr(k) = log k! − [(k + ½) log k − k + ½ log 2π] for k ≥ 50, from the Stirling series
 * (core's coefficient table B₂ⱼ/(2j(2j − 1)); three terms suffice there).
 */
function stirlingError(k: Tensor): Tensor {
  const [c0 = 0, c1 = 0, c2 = 0] = specialScalar.LGAMMA_STIRLING_COEFFS;
  const z = div(1, square(k));
  return div(add(mul(add(mul(z, c2), c1), z), c0), k);
}

/**
 * bd0(k, λ) = k log(k/λ) + λ − k ≥ 0 without cancellation (Loader 2000, §2): for small |v|,
 * v = (k − λ)/(k + λ), it is v·[(k − λ) + 2k v² Σ_{j≥1} v^(2j−2)/(2j + 1)]; else the plain
 * form (k/λ overflows only for λ below k·1e-308).
 */
function bd0(k: Tensor, rate: Tensor): Tensor {
  const diff = sub(k, rate);
  const v = div(diff, add(k, rate));
  const v2 = square(v);
  let tail: Tensor | number = BD0_TAIL[BD0_TAIL.length - 1] ?? 0;
  for (let j = BD0_TAIL.length - 2; j >= 0; j--) tail = add(mul(tail, v2), BD0_TAIL[j] ?? 0);
  const series = mul(v, add(diff, mul(mul(k, v2), tail)));
  const plain = sub(add(mul(k, log(div(k, rate))), rate), k);
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

  /** k log λ − λ − log k!; from k = 50 on in the Stirling-difference form (see STIRLING_FORM_MIN). */
  logProb(value: Tensor): Tensor {
    const k = asValue(value, this.rate.dtype);
    const direct = xlogy(k, this.rate).sub(this.rate).sub(lfactorial(k));
    // the unused branch must stay finite for small k (gradients pass through where)
    const kl = maximum(k, STIRLING_FORM_MIN);
    const halfLog2piK = mul(log(mul(kl, 2 * Math.PI)), 0.5);
    const large = neg(add(add(stirlingError(kl), halfLog2piK), bd0(kl, this.rate)));
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
