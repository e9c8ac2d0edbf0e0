/**
 * The beta negative binomial of SCRIBE's BNB overdispersion (see docs/SOURCES.md), in the
 * project's NB convention: u | p′ ~ NB(r, p′) with mean r·p′/(1 − p′) (NumPyro's
 * `NegativeBinomialProbs`), and p′ ~ Beta(α, κ). Then
 *
 *   log P(u) = log Γ(u + r) − log Γ(r) − log u! + log B(α + u, κ + r) − log B(α, κ),
 *
 * with mean r·α/(κ − 1) (κ > 1) and variance r·α·(r + κ − 1)(α + κ − 1) / ((κ − 2)(κ − 1)²)
 * (κ > 2). (scipy's `betanbinom(n, a, b)` is this law with n = r, a = κ, b = α.) The beta
 * ratio is written with the count-aware differences lgammaShiftDiff(θ, u) = log Γ(θ + u) −
 * log Γ(θ) wherever u appears, and a u-free difference of `betaln` for the rest, so large κ
 * (small excess dispersion) does not cancel in the u-dependent terms:
 *
 *   log B(α + u, κ + r) − log B(α, κ) = D(α, u) − D(α + κ + r, u) + log B(α, κ + r) − log B(α, κ).
 * @module
 */
import {
  add,
  betaln,
  broadcastShapes,
  div,
  type Key,
  lfactorial,
  lgammaShiftDiff,
  mul,
  random,
  type Shape,
  scalar,
  splitKey,
  square,
  sub,
  type Tensor,
} from "@scribe/core";
import { Distribution, NegativeBinomialProbs, positive } from "@scribe/distributions";

type ParamLike = Tensor | number;

/**
 * log P(u) of the beta negative binomial BNB(r, α, κ) (see the module comment), elementwise
 * with broadcasting. Counts are not differentiated; r, α, κ are.
 * @example
 * bnbLogProb(tensor([3]), tensor(2), tensor(1.5), tensor(4)); // log P(u = 3)
 */
export function bnbLogProb(u: Tensor, r: Tensor, alpha: Tensor, kappa: Tensor): Tensor {
  const ak = add(alpha, kappa);
  const countPart = lgammaShiftDiff(r, u)
    .sub(lfactorial(u))
    .add(lgammaShiftDiff(alpha, u))
    .sub(lgammaShiftDiff(add(ak, r), u));
  return countPart.add(betaln(alpha, add(kappa, r))).sub(betaln(alpha, kappa));
}

/**
 * BetaNegativeBinomial(r, α, κ): NB(r, p′) counts (mean r·p′/(1 − p′)) with p′ ~ Beta(α, κ).
 * @example
 * const d = new BetaNegativeBinomial(2, 1.5, 4); // mean 2·1.5/3 = 1
 * d.logProb(tensor([0, 1, 5]));
 */
export class BetaNegativeBinomial extends Distribution {
  static override readonly argConstraints = {
    totalCount: positive,
    concentration1: positive,
    concentration0: positive,
  };
  static override readonly support = null;
  static override readonly reparametrized = false;

  /** r, broadcast to the batch shape. */
  readonly totalCount: Tensor;
  /** α, the Beta's first shape (pulls p′ up). */
  readonly concentration1: Tensor;
  /** κ, the Beta's second shape. */
  readonly concentration0: Tensor;

  constructor(totalCount: ParamLike, alpha: ParamLike, kappa: ParamLike) {
    const t = (x: ParamLike) => (typeof x === "number" ? scalar(x) : x);
    const [r, a, k] = [t(totalCount), t(alpha), t(kappa)];
    const shape = broadcastShapes(r.shape, a.shape, k.shape);
    super(shape, [], false);
    this.totalCount = r.expand(shape);
    this.concentration1 = a.expand(shape);
    this.concentration0 = k.expand(shape);
  }

  /** p′ ~ Beta(α, κ) per draw, then NB(r, p′). */
  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [kp, kn] = splitKey(key, 2) as [Key, Key];
    const shape = this.shape(sampleShape);
    const p = random.beta(kp, this.concentration1, this.concentration0, shape, {
      dtype: this.concentration1.dtype,
    });
    return new NegativeBinomialProbs(this.totalCount.expand(shape), p, false).sample(kn);
  }

  logProb(value: Tensor): Tensor {
    return bnbLogProb(value, this.totalCount, this.concentration1, this.concentration0);
  }

  /** r·α/(κ − 1). */
  override get mean(): Tensor {
    return div(mul(this.totalCount, this.concentration1), sub(this.concentration0, 1));
  }

  /** r·α·(r + κ − 1)(α + κ − 1) / ((κ − 2)(κ − 1)²). */
  override get variance(): Tensor {
    const r = this.totalCount;
    const a = this.concentration1;
    const k = this.concentration0;
    const num = mul(mul(mul(r, a), sub(add(r, k), 1)), sub(add(a, k), 1));
    return div(num, mul(sub(k, 2), square(sub(k, 1))));
  }
}

/** SCRIBE's floor of the excess-dispersion fraction ω (SCRIBE BNB overdispersion). */
export const BNB_OMEGA_FLOOR = 1e-6;

/**
 * SCRIBE's BNB shapes from (p, r, ω): κ = max(2 + (r + 1)/max(ω, 1e−6), 2 + 1e−6) and
 * α = p(κ − 1)/(1 − p), so the BNB mean equals the NB mean r·p/(1 − p) and ω → 0 gives the NB.
 */
export function bnbShapes(p: Tensor, r: Tensor, omega: Tensor): { alpha: Tensor; kappa: Tensor } {
  const kappa = div(add(r, 1), omega.maximum(BNB_OMEGA_FLOOR))
    .add(2)
    .maximum(2 + 1e-6);
  const alpha = div(mul(p, sub(kappa, 1)), sub(1, p));
  return { alpha, kappa };
}
