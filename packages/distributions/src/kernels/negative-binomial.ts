import {
  defineOp,
  elementwise,
  mul,
  specialScalar,
  type Tensor,
  type TensorLike,
  type TestDomain,
} from "@scribe/core";
import { COUNT_SHIFT_WGSL, countShiftInto, NB_DIRECT_MAX, NB_THETA_RANGE } from "./count-shift.js";

/**
 * Negative-binomial log-probabilities as single fused, count-aware kernels: each is one op
 * (defined with core's public `defineOp`) whose outputs are the log-pmf and its partials, so
 * a log-likelihood and its gradient are one pass over memory. Zero counts skip the special
 * functions, small counts use product forms (count-shift.ts). Each op is defined once: the
 * scalar function below is the reference and the CPU body; the WGSL body mirrors its branches
 * with the same thresholds; the VJP multiplies the saved partials.
 */

const M = import.meta.url;
const { lfactorial, lgamma, digamma, LFACTORIAL_TABLE } = specialScalar;
const R = (lo: number, hi: number): TestDomain => ({ lo, hi });
const COUNTS: TestDomain = { lo: 0, hi: 40, integer: true };
const shift = new Float64Array(2);

/** The partials saved as outputs 1… are the cotangents' factors; the count is not differentiated. */
const savedPartials = (g: Tensor, _args: readonly TensorLike[], outs: readonly Tensor[]) => [
  null,
  ...outs.slice(1).map((o) => mul(g, o)),
];

/** The outputs of the NB2 kernels, by the ops' output names. */
export type Nb2Outputs = {
  readonly logPmf: number;
  readonly gradMean: number;
  readonly gradConcentration: number;
};

/**
 * The cold path of the NB2 body: counts beyond the direct range, θ or μ beyond its range.
 * x is μ/θ; lgTh and dgTh are lgamma(θ) and ψ(θ) when the caller has them (the hoisted body),
 * else NaN.
 */
type Nb2Fallback = (y: number, mu: number, th: number, x: number, lgTh: number, dgTh: number) => Nb2Outputs;

/**
 * The NB2 body with its cold path: log NB(y | μ, θ) and ∂/∂μ, ∂/∂θ. log(θ/(θ+μ)) is written
 * −log1p(μ/θ) so the Poisson limit keeps its digits; μ = 0 is a point mass at 0. For small
 * counts with θ and μ in range, the product log Π(θ+k) and the term y·log(μ/(θ+μ)) share one
 * log: log Π((θ+k)·μ/(θ+μ)), each factor below min(θ, μ) + k, so 16 of them stay finite in
 * float64. Negative, non-integer and non-finite counts all take the cold path, so the variant
 * that checks the support does it there, at no cost to the hot path.
 */
function nb2Body(fallback: Nb2Fallback) {
  const hoisted = nb2HoistedBody(fallback);
  return (y: number, mu: number, th: number): Nb2Outputs =>
    hoisted(y, mu, th, 1 / th, Number.NaN, Number.NaN);
}

/**
 * {@link nb2Body} taking 1/θ, lgamma(θ) and ψ(θ) precomputed (once per gene where θ is per
 * gene: the op's HoistedBody), so the hot path spends no division on 1/θ and counts above the
 * direct range take lgamma(y+θ) − lgamma(θ) and ψ(y+θ) − ψ(θ) with one special function call
 * each. NaN for lgamma(θ) and ψ(θ) means "not precomputed" (the plain body).
 *
 * One division per element: a zero count takes 1/(θ+μ); a positive count takes
 * r = 1/(μ(θ+μ)), whence 1/(θ+μ) = μ·r and ∂/∂μ = θ(y−μ)·r without a division by μ. The
 * log1p of μ/θ takes its 1/(1 + μ/θ) as θ/(θ+μ) from the same reciprocal (log1pWith).
 */
function nb2HoistedBody(fallback: Nb2Fallback) {
  return (y: number, mu: number, th: number, rth: number, lgTh: number, dgTh: number): Nb2Outputs => {
    // Kept under V8's inlining limit (460 bytecodes) so fused loops inline it, with one
    // `return {…}` at the end so the inlined object is never allocated (ops/define-op.ts); the
    // rare cases (large, negative or non-integer counts, extreme θ or μ) are a call.
    let logPmf: number;
    let gradMean: number;
    let gradConcentration: number;
    // μ = 0 gives log1p(0) = 0 even where 1/θ overflows (θ subnormal): 0·∞ would be NaN
    const x = mu === 0 ? 0 : mu * rth;
    if (y === 0) {
      const inv = 1 / (th + mu);
      const l1 = log1pWith(x, th * inv);
      logPmf = -th * l1;
      gradMean = -th * inv;
      gradConcentration = mu * inv - l1;
    } else if (y < 0 || y > NB_DIRECT_MAX || (y | 0) !== y || !(th > LO && th < HI && mu > LO && mu < HI)) {
      const cold = fallback(y, mu, th, x, lgTh, dgTh);
      logPmf = cold.logPmf;
      gradMean = cold.gradMean;
      gradConcentration = cold.gradConcentration;
    } else {
      // θ and μ are in (LO, HI): μ(θ+μ) neither overflows nor underflows
      const r = 1 / (mu * (th + mu));
      const inv = mu * r;
      const l1 = log1pWith(x, th * inv);
      const q = mu * inv;
      let prod = th * q;
      let dgd = rth;
      for (let k = 1; k < y; k++) {
        const t = th + k;
        prod *= t * q;
        dgd += 1 / t;
      }
      // y is an integer ≤ NB_DIRECT_MAX here: the table directly (lfactorial's own checks cost
      // the W1 loop about 3 %)
      logPmf = Math.log(prod) - LFACTORIAL_TABLE[y]! - th * l1;
      gradMean = th * (y - mu) * r;
      gradConcentration = dgd - l1 + (mu - y) * inv;
    }
    return { logPmf, gradMean, gradConcentration };
  };
}

/**
 * log(1 + x) for x ≥ 0 with one Math.log and no division, given w ≈ 1/(1 + x) (to a few ulp):
 * u = 1 ⊕ x, whose rounding error δ = x − (u − 1) is exact (u − 1 is exact for u ≥ 1, and
 * the difference of x and u − 1 is exact by Sterbenz's lemma: they are within a factor 2 of
 * each other or u = 1); then log(1 + x) = log(u + δ) = log(u) + δ/u − O(δ²/u²), and δ/u ≤ ε/2
 * so δ·w carries the correction to full precision. The error is Math.log's own, about an
 * ulp. In V8 Math.log1p costs about twice Math.log, and a division about as much as the log's
 * fast path: this log is the largest cost of the W1 kernel. u = 1 (x below ε/2, μ = 0) returns
 * x; x = ∞ (θ underflowing against μ) returns ∞ as log1p does.
 */
function log1pWith(x: number, w: number): number {
  const u = 1 + x;
  return u === 1 || u === Number.POSITIVE_INFINITY ? x : Math.log(u) + (x - (u - 1)) * w;
}

const LO = 1 / NB_THETA_RANGE;
const HI = NB_THETA_RANGE;

/** The NB2 outputs for counts beyond the direct range or θ, μ beyond the product's range. */
function nb2General(y: number, mu: number, th: number, x: number, lgTh: number, dgTh: number): Nb2Outputs {
  const inv = 1 / (th + mu);
  const l1 = Math.log1p(x);
  countShiftInto(shift, th, y, lgTh, dgTh);
  return {
    logPmf: mu === 0 ? -Infinity : shift[0]! - lfactorial(y) - th * l1 - y * Math.log1p(th / mu),
    gradMean: (th * (y - mu) * inv) / mu,
    gradConcentration: shift[1]! - l1 + (mu - y) * inv,
  };
}

/** nb2General, but a count outside the non-negative integers gives −∞ and zero partials. */
function nb2GeneralInSupport(
  y: number,
  mu: number,
  th: number,
  x: number,
  lgTh: number,
  dgTh: number,
): Nb2Outputs {
  if (y >= 0 && y === Math.floor(y) && y !== Number.POSITIVE_INFINITY)
    return nb2General(y, mu, th, x, lgTh, dgTh);
  return { logPmf: Number.NEGATIVE_INFINITY, gradMean: 0, gradConcentration: 0 };
}

/**
 * log NB(y | μ, θ) (NB2: mean μ, concentration θ) as `logPmf`, and its partials ∂/∂μ
 * (`gradMean`) and ∂/∂θ (`gradConcentration`), for any real y (non-integer counts through the
 * lgamma form).
 */
export const nb2Partials = nb2Body(nb2General);

/** What nb2 derives from θ alone, once per gene where θ is per gene: 1/θ, lgamma(θ), ψ(θ). */
const NB2_THETA_VALUES = [(th: number) => 1 / th, lgamma, digamma];

/**
 * {@link nb2Partials} with the support check of validation fused in: a count that is not a
 * non-negative integer gives −∞ with zero partials, as NumPyro's masked log_prob does
 * (`where(support.check(y), lp, −∞)`), but in the same pass and on the cold path only.
 */
export const nb2InSupportPartials = nb2Body(nb2GeneralInSupport);

const SP_NB2 = `fn sp_nb2(y: f32, mu: f32, th: f32) -> vec3<f32> {
  let l1 = sp_log1p(mu / th);
  let inv = 1.0 / (th + mu);
  if (y == 0.0) { return vec3<f32>(-th * l1, -th * inv, mu * inv - l1); }
  let sd = sp_nb_shift(th, y);
  var v = sd.x - sp_lfactorial(y) - th * l1 - y * sp_log1p(th / mu);
  if (mu == 0.0) { v = -sp_inf(); }
  return vec3<f32>(v, (th * (y - mu) * inv) / mu, sd.y - l1 + (mu - y) * inv);
}`;

/** What nb2 and nb2InSupport share: arguments (counts, mean, concentration) and outputs. */
const NB2_SIGNATURE = {
  module: M,
  arity: 3,
  outputs: ["logPmf", "gradMean", "gradConcentration"],
  dtype: "float",
  // ∂/∂μ alone is a few flops: a cotangent that reads it twice may recompute it
  cost: [30, 3, 30],
  testDomain: [COUNTS, R(0.1, 20), R(0.05, 50)],
  vjp: savedPartials,
} as const;

export const nb2Op = defineOp({
  ...NB2_SIGNATURE,
  name: "nb2",
  cpu: { fn: nb2Partials, hoisted: { arg: 2, values: NB2_THETA_VALUES, fn: nb2HoistedBody(nb2General) } },
  wgsl: { fn: "sp_nb2" },
  wgslLib: { ...COUNT_SHIFT_WGSL, sp_nb2: SP_NB2 },
});

/** The NB2 kernel that also checks its counts are in the support (validation on). */
export const nb2InSupportOp = defineOp({
  ...NB2_SIGNATURE,
  name: "nb2InSupport",
  cpu: {
    fn: nb2InSupportPartials,
    hoisted: { arg: 2, values: NB2_THETA_VALUES, fn: nb2HoistedBody(nb2GeneralInSupport) },
  },
  wgsl: { fn: "sp_nb2InSupport" },
  wgslLib: {
    ...COUNT_SHIFT_WGSL,
    sp_nb2: SP_NB2,
    sp_nb2InSupport: `fn sp_nb2InSupport(y: f32, mu: f32, th: f32) -> vec3<f32> {
  if (!(y >= 0.0 && y == floor(y) && sp_isfinite(y))) { return vec3<f32>(-sp_inf(), 0.0, 0.0); }
  return sp_nb2(y, mu, th);
}`,
  },
});

/**
 * log NB(y | r, p) in NumPyro's probs convention (p the success probability of the counted
 * events, mean r·p/(1−p)) and ∂/∂r, ∂/∂p.
 */
export function nbProbsPartials(y: number, r: number, p: number) {
  // One `return {…}` so a loop that inlines the body allocates nothing (ops/define-op.ts).
  const l1m = Math.log1p(-p);
  let logPmf: number;
  let gradTotalCount: number;
  let gradProbs: number;
  if (y === 0) {
    logPmf = r * l1m;
    gradTotalCount = l1m;
    gradProbs = -r / (1 - p);
  } else {
    countShiftInto(shift, r, y);
    logPmf = shift[0]! - lfactorial(y) + r * l1m + y * Math.log(p);
    gradTotalCount = shift[1]! + l1m;
    gradProbs = y / p - r / (1 - p);
  }
  return { logPmf, gradTotalCount, gradProbs };
}

export const nbProbsOp = defineOp({
  name: "nbProbs",
  module: M,
  arity: 3,
  outputs: ["logPmf", "gradTotalCount", "gradProbs"],
  dtype: "float",
  cost: [30, 30, 3],
  testDomain: [COUNTS, R(0.05, 20), R(0.05, 0.95)],
  cpu: { fn: nbProbsPartials },
  wgsl: { fn: "sp_nbProbs" },
  wgslLib: {
    ...COUNT_SHIFT_WGSL,
    sp_nbProbs: `fn sp_nbProbs(y: f32, r: f32, p: f32) -> vec3<f32> {
  let l1m = sp_log1p(-p);
  if (y == 0.0) { return vec3<f32>(r * l1m, l1m, -r / (1.0 - p)); }
  let sd = sp_nb_shift(r, y);
  return vec3<f32>(sd.x - sp_lfactorial(y) + r * l1m + y * log(p), sd.y + l1m, y / p - r / (1.0 - p));
}`,
  },
  vjp: savedPartials,
});

/** log NB(y | r, logits l) = … − r·softplus(l) − y·softplus(−l), and ∂/∂r, ∂/∂l. */
export function nbLogitsPartials(y: number, r: number, l: number) {
  const e = Math.exp(-Math.abs(l));
  const spPos = Math.max(l, 0) + Math.log1p(e);
  const sig = l >= 0 ? 1 / (1 + e) : e / (1 + e);
  let logPmf: number;
  let gradTotalCount: number;
  let gradLogits: number;
  if (y === 0) {
    logPmf = -r * spPos;
    gradTotalCount = -spPos;
    gradLogits = -r * sig;
  } else {
    countShiftInto(shift, r, y);
    logPmf = shift[0]! - lfactorial(y) - r * spPos - y * (spPos - l);
    gradTotalCount = shift[1]! - spPos;
    gradLogits = y - (r + y) * sig;
  }
  return { logPmf, gradTotalCount, gradLogits };
}

export const nbLogitsOp = defineOp({
  name: "nbLogits",
  module: M,
  arity: 3,
  outputs: ["logPmf", "gradTotalCount", "gradLogits"],
  dtype: "float",
  cost: [30, 30, 3],
  testDomain: [COUNTS, R(0.05, 20), R(-4, 4)],
  cpu: { fn: nbLogitsPartials },
  wgsl: { fn: "sp_nbLogits" },
  wgslLib: {
    ...COUNT_SHIFT_WGSL,
    sp_nbLogits: `fn sp_nbLogits(y: f32, r: f32, l: f32) -> vec3<f32> {
  let e = exp(-abs(l));
  let spPos = max(l, 0.0) + sp_log1p(e);
  let sig = select(e / (1.0 + e), 1.0 / (1.0 + e), l >= 0.0);
  if (y == 0.0) { return vec3<f32>(-r * spPos, -spPos, -r * sig); }
  let sd = sp_nb_shift(r, y);
  return vec3<f32>(sd.x - sp_lfactorial(y) - r * spPos - y * (spPos - l), sd.y - spPos, y - (r + y) * sig);
}`,
  },
  vjp: savedPartials,
});

/**
 * Zero-inflated NB(y | r, p) with gate probability g and ∂/∂r, ∂/∂p, ∂/∂g. At y = 0,
 * log(g + (1−g)·NB(0)) is log1p((1−g)·expm1(log NB(0))) when the result is above −log 2 (a
 * gate near 1 keeps its digits) and the plain log otherwise.
 */
export function zinbProbsPartials(y: number, r: number, p: number, g: number) {
  const l1m = Math.log1p(-p);
  let logPmf: number;
  let gradTotalCount: number;
  let gradProbs: number;
  let gradGate: number;
  if (y === 0) {
    const nb0 = r * l1m;
    const e = Math.exp(nb0);
    const a = g + (1 - g) * e;
    const w = ((1 - g) * e) / a;
    logPmf = a > 0.5 ? Math.log1p((1 - g) * Math.expm1(nb0)) : Math.log(a);
    gradTotalCount = w * l1m;
    gradProbs = (-w * r) / (1 - p);
    gradGate = (1 - e) / a;
  } else {
    countShiftInto(shift, r, y);
    logPmf = Math.log1p(-g) + shift[0]! - lfactorial(y) + r * l1m + y * Math.log(p);
    gradTotalCount = shift[1]! + l1m;
    gradProbs = y / p - r / (1 - p);
    gradGate = -1 / (1 - g);
  }
  return { logPmf, gradTotalCount, gradProbs, gradGate };
}

export const zinbProbsOp = defineOp({
  name: "zinbProbs",
  module: M,
  arity: 4,
  outputs: ["logPmf", "gradTotalCount", "gradProbs", "gradGate"],
  dtype: "float",
  cost: [30, 30, 5, 5],
  testDomain: [{ lo: 0, hi: 4, integer: true }, R(0.05, 20), R(0.05, 0.95), R(0.02, 0.98)],
  cpu: { fn: zinbProbsPartials },
  wgsl: { fn: "sp_zinbProbs" },
  wgslLib: {
    ...COUNT_SHIFT_WGSL,
    sp_zinbProbs: `fn sp_zinbProbs(y: f32, r: f32, p: f32, g: f32) -> vec4<f32> {
  let l1m = sp_log1p(-p);
  if (y == 0.0) {
    let nb0 = r * l1m;
    let e = exp(nb0);
    let a = g + (1.0 - g) * e;
    let v = select(log(a), sp_log1p((1.0 - g) * sp_expm1(nb0)), a > 0.5);
    let w = (1.0 - g) * e / a;
    return vec4<f32>(v, w * l1m, -w * r / (1.0 - p), (1.0 - e) / a);
  }
  let sd = sp_nb_shift(r, y);
  return vec4<f32>(sp_log1p(-g) + sd.x - sp_lfactorial(y) + r * l1m + y * log(p), sd.y + l1m, y / p - r / (1.0 - p), -1.0 / (1.0 - g));
}`,
  },
  vjp: savedPartials,
});

/**
 * log NB(y | mean μ, concentration θ) (NB2 / GammaPoisson with rate θ/μ); one fused kernel
 * with analytic ∂/∂μ and ∂/∂θ.
 * @example
 * nb2LogProb(tensor([0, 3]), tensor([2, 2]), tensor([5, 5])).sum();
 */
export function nb2LogProb(y: TensorLike, mean: TensorLike, concentration: TensorLike): Tensor {
  return elementwise(nb2Op, [y, mean, concentration], "nb2LogProb");
}

/**
 * {@link nb2LogProb} with validation's support check fused into the same pass: where y is not
 * a non-negative integer the log-probability is −∞ and the gradient zero.
 * @example
 * nb2InSupportLogProb(tensor([0, 3, -1]), tensor([2, 2, 2]), tensor([5, 5, 5])); // last is −∞
 */
export function nb2InSupportLogProb(y: TensorLike, mean: TensorLike, concentration: TensorLike): Tensor {
  return elementwise(nb2InSupportOp, [y, mean, concentration], "nb2InSupportLogProb");
}

/**
 * log NB(y | r, p) with p the success probability of the counted events
 * (mean r·p/(1−p), NumPyro's NegativeBinomialProbs).
 */
export function nbProbsLogProb(y: TensorLike, totalCount: TensorLike, probs: TensorLike): Tensor {
  return elementwise(nbProbsOp, [y, totalCount, probs], "nbProbsLogProb");
}

/** log NB(y | r, logits l) with probs = sigmoid(l) (NumPyro's NegativeBinomialLogits). */
export function nbLogitsLogProb(y: TensorLike, totalCount: TensorLike, logits: TensorLike): Tensor {
  return elementwise(nbLogitsOp, [y, totalCount, logits], "nbLogitsLogProb");
}

/**
 * Zero-inflated NB in the probs form with gate probability g (SCRIBE's zinb / zinbvcp
 * likelihood): one fused, count-aware kernel with analytic partials in r, p and g.
 */
export function zinbProbsLogProb(
  y: TensorLike,
  totalCount: TensorLike,
  probs: TensorLike,
  gate: TensorLike,
): Tensor {
  return elementwise(zinbProbsOp, [y, totalCount, probs, gate], "zinbProbsLogProb");
}
