/**
 * Maximum-likelihood fits of the LNM totals models (`../shared/spec/scribe.md` §1.8), which
 * are independent of the composition and so fitted on their own:
 * - lnm: u_T,c ~ NB(r_T, p) (NumPyro's probs convention, mean r_T p / (1 − p)). For fixed
 *   r_T the MLE of p is m̄ / (m̄ + r_T); r_T maximises the profile likelihood (golden section
 *   on log r_T).
 * - lnmvcp: u_T,c ~ NB(r_T, p̂_c), p̂_c = p ν_c / (1 − p (1 − ν_c)) (§1.4), with each cell's
 *   capture ν_c under SCRIBE's flat prior Beta(1, 1), integrated out per cell
 *   ({@link logCapturedTotal}); r_T and p maximise the marginal likelihood (Nelder–Mead on
 *   log r_T, logit p). The per-cell posterior mean of ν_c comes with the fit.
 * @module
 */
import { gaussLegendre01, specialScalar } from "@scribe/core";
import { nelderMead } from "../de/nelder-mead.js";
import type { TotalsFit } from "./laplace-results.js";

function profileLogLik(totals: Float64Array, mean: number, logR: number): number {
  const r = Math.exp(logR);
  const p = mean / (mean + r);
  let ll = 0;
  for (const u of totals)
    ll +=
      specialScalar.lgamma(u + r) -
      specialScalar.lgamma(r) +
      r * Math.log1p(-p) +
      (u > 0 ? u * Math.log(p) : 0);
  return ll;
}

/**
 * NB(r_T, p) fitted by maximum likelihood to per-cell totals.
 * @example
 * const t = fitTotals(Float64Array.from([900, 1100, 1500, 700]));
 */
export function fitTotals(totals: Float64Array): TotalsFit {
  if (totals.length === 0) throw new Error("fitTotals: no cells");
  let mean = 0;
  for (const u of totals) mean += u / totals.length;
  if (!(mean > 0)) throw new Error("fitTotals: every cell total is 0");
  let a = Math.log(1e-3);
  let b = Math.log(1e8);
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 100 && b - a > 1e-9; i++) {
    const x1 = b - phi * (b - a);
    const x2 = a + phi * (b - a);
    if (profileLogLik(totals, mean, x1) > profileLogLik(totals, mean, x2)) b = x2;
    else a = x1;
  }
  const rT = Math.exp((a + b) / 2);
  const p = mean / (mean + rT);
  return { rT, p, mean };
}

/** Gauss–Legendre nodes of the per-cell capture integral (checked against the exact series to 1e-10 in the tests). */
const CAPTURE_NODES = 64;

const log1pExp = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
/** log σ(s) = −log(1 + e^{−s}). */
const logSigmoid = (s: number) => -log1pExp(-s);

/**
 * One cell's total under per-cell capture with the flat prior, ν ~ Beta(1, 1), integrated out:
 * log ∫₀¹ NB(u | r, p̂(ν)) dν, and the posterior mean E[ν | u].
 *
 * With x = p̂(ν) (ν = (1 − p) x / (p (1 − x)), dν = (1 − p)/p · dx/(1 − x)²) the integral is
 * (1 − p)/p · Γ(u + r)/(Γ(r) u!) · ∫₀ᵖ xᵘ (1 − x)^(r−2) dx, and with s = logit x the last
 * integrand is exp(h(s)), h(s) = (u + 1) log σ(s) + (r − 1) log σ(−s), concave (h'' =
 * −(u + r) σ(s) σ(−s)), on s < logit p. Its mode is s* = log((u + 1)/(r − 1)) for r > 1 (+∞
 * otherwise); the integral is a Gauss–Legendre rule on a window around min(s*, logit p) that
 * spans 25 curvature scales, or 40 e-folds of the slope when the mode is the edge logit p.
 * (ν itself is (1 − p)/p · eˢ, which gives the posterior mean.)
 * @example
 * logCapturedTotal(120, 3, 0.99).logLik; // log P(u_T = 120)
 */
export function logCapturedTotal(u: number, r: number, p: number): { logLik: number; meanCapture: number } {
  if (!(u >= 0 && Number.isInteger(u)))
    throw new Error(`lnmvcp totals: a total must be a non-negative integer, got ${u}`);
  if (!(r > 0 && p > 0 && p < 1))
    throw new Error(`lnmvcp totals: need r > 0 and p in (0, 1), got r ${r}, p ${p}`);
  const b = Math.log(p) - Math.log1p(-p);
  const h = (s: number) => (u + 1) * logSigmoid(s) + (r - 1) * logSigmoid(-s);
  const sStar = r > 1 ? Math.log((u + 1) / (r - 1)) : Number.POSITIVE_INFINITY;
  const m = Math.min(sStar, b);
  const sig = 1 / (1 + Math.exp(-m));
  const scale = 1 / Math.sqrt((u + r) * sig * (1 - sig));
  let lo: number;
  let hi: number;
  if (sStar < b) {
    lo = sStar - 25 * scale;
    hi = Math.min(sStar + 25 * scale, b);
  } else {
    const slope = (u + 1) * (1 - sig) - (r - 1) * sig; // h'(b) ≥ 0 here
    lo = b - Math.min(25 * scale, slope > 0 ? 40 / slope : 25 * scale);
    hi = b;
  }
  const { nodes, weights } = gaussLegendre01(CAPTURE_NODES);
  const width = hi - lo;
  const terms = new Float64Array(CAPTURE_NODES);
  let top = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < CAPTURE_NODES; k++) {
    const s = lo + width * nodes[k]!;
    terms[k] = h(s) + Math.log(weights[k]! * width);
    top = Math.max(top, terms[k]!);
  }
  let sum = 0;
  let sumNu = 0;
  for (let k = 0; k < CAPTURE_NODES; k++) {
    const e = Math.exp(terms[k]! - top);
    sum += e;
    sumNu += e * Math.exp(lo + width * nodes[k]!);
  }
  const logRatio = Math.log1p(-p) - Math.log(p);
  const lg = specialScalar.lgamma;
  const logLik = logRatio + lg(u + r) - lg(r) - lg(u + 1) + top + Math.log(sum);
  return { logLik, meanCapture: Math.exp(logRatio) * (sumNu / sum) };
}

/** What {@link fitCapturedTotals} returns: the totals model and each cell's posterior mean capture. */
export interface CapturedTotalsFit {
  readonly fit: TotalsFit;
  /** E[ν_c | u_T,c] per cell [C]. */
  readonly meanCapture: Float64Array;
}

/**
 * lnmvcp's totals model (module doc) fitted by maximum marginal likelihood, from lnm's fit
 * with the odds doubled (the prior mean capture is ½).
 * @example
 * const { fit, meanCapture } = fitCapturedTotals(Float64Array.from([900, 1100, 1500, 700]));
 */
export function fitCapturedTotals(totals: Float64Array): CapturedTotalsFit {
  const start = fitTotals(totals);
  const logLik = (r: number, p: number) => {
    let ll = 0;
    for (const u of totals) ll += logCapturedTotal(u, r, p).logLik;
    return ll;
  };
  const odds0 = (2 * start.p) / (1 - start.p);
  const nm = nelderMead(
    (x) => {
      const r = Math.exp(x[0]!);
      const p = 1 / (1 + Math.exp(-x[1]!));
      return r > 0 && p > 0 && p < 1 ? -logLik(r, p) : Number.POSITIVE_INFINITY;
    },
    [Math.log(start.rT), Math.log(odds0)],
    { maxit: 1000, reltol: 1e-10 },
  );
  const rT = Math.exp(nm.x[0]!);
  const p = 1 / (1 + Math.exp(-nm.x[1]!));
  const meanCapture = Float64Array.from(totals, (u) => logCapturedTotal(u, rT, p).meanCapture);
  return { fit: { rT, p, mean: (rT * p) / (1 - p), capture: "flat" }, meanCapture };
}
