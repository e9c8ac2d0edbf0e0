/**
 * Maximum-likelihood fits of the LNM totals models (SCRIBE logistic-normal families), which
 * are independent of the composition and so fitted on their own:
 * - lnm: u_T,c ~ NB(r_T, p) (NumPyro's probs convention, mean r_T p / (1 − p)). For fixed
 *   r_T the MLE of p is m̄ / (m̄ + r_T); r_T maximises the profile likelihood (golden section
 *   on log r_T).
 * - lnmvcp: u_T,c ~ NB(r_T, p̂_c), p̂_c = p ν_c / (1 − p (1 − ν_c)) (SCRIBE nbvcp), with each cell's
 *   capture ν_c integrated out per cell ({@link logCapturedTotal}) under SCRIBE's flat prior
 *   Beta(1, 1), or under the biology-informed prior (SCRIBE capture prior: `priors.organism` /
 *   `priors.capture_efficiency`): η_c ~ TruncatedNormal(log M₀ − log max(u_T,c, 1), σ_M,
 *   low 0), ν_c = e^(−η_c); r_T and p maximise the marginal likelihood (Nelder–Mead on
 *   log r_T and log λ, λ = r_T p/(1 − p); r_T at most 1e12, reported as the Poisson limit when
 *   the likelihood still rises there). The per-cell posterior mean of ν_c comes with the fit.
 * @module
 */
import { gaussLegendre01, specialScalar } from "@scribe/core";
import { nelderMead } from "../de/nelder-mead.js";
import { etaPriorLocOfTotal } from "../models/eta-prior-loc.js";
import { type PriorsInput, resolvePriors } from "../models/priors.js";
import type { CapturePrior, TotalsFit } from "./laplace-results.js";

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

/** Where the η prior of one cell sits: TruncatedNormal(loc, scale, low 0) (SCRIBE capture prior). */
export interface EtaPrior {
  readonly loc: number;
  readonly scale: number;
}

/**
 * The η prior of a cell with total u under the biology-informed capture prior: loc from
 * models/eta-prior-loc.ts (the rule the SVI models' `eta_capture` site uses), scale σ_M.
 */
export function etaPriorOfTotal(prior: CapturePrior, u: number): EtaPrior {
  return { loc: etaPriorLocOfTotal(prior.logM0, u), scale: prior.sigmaM };
}

/**
 * log Γ(u + r) − log Γ(r) − log u!, the NB normaliser, as a shifted difference: near the
 * Poisson limit (r_T ≈ 1e8) lgamma(u + r) − lgamma(r) loses ~1e-7 per cell to cancellation,
 * enough to stall the optimiser's convergence test.
 */
const logNbNormaliser = (u: number, r: number) =>
  specialScalar.lgammaShiftDiff(r, u) - specialScalar.lgamma(u + 1);

/** The log-integrand's drop from its mode that ends the window (e⁻⁴⁰ of the peak is below float64's resolution of the sum). */
const WINDOW_DROP = 40;

/**
 * One cell's total with ν = e^(−η), η ~ TruncatedNormal(loc, σ, low 0), integrated out.
 * With b = logit p, logit p̂ = b − η, so the log-integrand is
 * f(η) = u log σ(b − η) + r log σ(η − b) − (η − loc)²/(2σ²) (plus constants), with
 * f'' = −(u + r) σ(η − b) σ(b − η) − 1/σ² < 0: strictly concave on η ≥ 0. Its mode (0 when
 * f'(0) ≤ 0, else safeguarded Newton inside [0, max(loc, 0) + r σ² + 1], where f' < 0 at the
 * right end) centres a window that reaches where f has dropped by {@link WINDOW_DROP} on
 * each side (at most 9σ away: the −1/σ² curvature alone drops f by 40.5 there), or the edge
 * 0; a Gauss–Legendre rule integrates over it.
 */
function logCapturedTotalEta(
  u: number,
  r: number,
  p: number,
  prior: EtaPrior,
): { logLik: number; meanCapture: number } {
  const { loc, scale: sd } = prior;
  if (!(Number.isFinite(loc) && sd > 0))
    throw new Error(
      `lnmvcp totals: the η prior needs a finite loc and scale > 0, got loc ${loc}, scale ${sd}`,
    );
  const b = Math.log(p) - Math.log1p(-p);
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const f = (eta: number) =>
    u * logSigmoid(b - eta) + r * logSigmoid(eta - b) - (0.5 * (eta - loc) ** 2) / (sd * sd);
  const df = (eta: number) => -u * sigmoid(eta - b) + r * sigmoid(b - eta) - (eta - loc) / (sd * sd);
  const d2f = (eta: number) => -(u + r) * sigmoid(eta - b) * sigmoid(b - eta) - 1 / (sd * sd);
  let mode = 0;
  if (df(0) > 0) {
    let lo = 0;
    let hi = Math.max(loc, 0) + r * sd * sd + 1;
    mode = Math.min(Math.max(loc, 0), hi);
    for (let i = 0; i < 200; i++) {
      const g = df(mode);
      if (g > 0) lo = mode;
      else hi = mode;
      let next = mode - g / d2f(mode);
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      const done = Math.abs(next - mode) <= 1e-13 * (1 + Math.abs(mode));
      mode = next;
      if (done || hi - lo <= 1e-13 * (1 + hi)) break;
    }
  }
  const fMode = f(mode);
  const local = 1 / Math.sqrt(-d2f(mode));
  const reach = (dir: 1 | -1): number => {
    let d = Math.min(6 * local, 9 * sd);
    while (d < 9 * sd && fMode - f(mode + dir * d) < WINDOW_DROP) d = Math.min(1.5 * d, 9 * sd);
    return d;
  };
  const lo = Math.max(0, mode - reach(-1));
  const hi = mode + reach(1);
  const { nodes, weights } = gaussLegendre01(CAPTURE_NODES);
  const width = hi - lo;
  let sum = 0;
  let sumNu = 0;
  for (let k = 0; k < CAPTURE_NODES; k++) {
    const eta = lo + width * nodes[k]!;
    const e = weights[k]! * width * Math.exp(f(eta) - fMode);
    sum += e;
    sumNu += e * Math.exp(-eta);
  }
  // TruncatedNormal(loc, σ, low 0): normalised by Φ(loc/σ)
  const logNorm = -Math.log(sd) - 0.5 * Math.log(2 * Math.PI) - specialScalar.logNdtr(loc / sd);
  const logLik = logNbNormaliser(u, r) + logNorm + fMode + Math.log(sum);
  return { logLik, meanCapture: sumNu / sum };
}

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
 * (ν itself is (1 − p)/p · eˢ, which gives the posterior mean.) With `etaPrior` the capture
 * has the biology-informed prior instead (this module's `logCapturedTotalEta`).
 * @example
 * logCapturedTotal(120, 3, 0.99).logLik; // log P(u_T = 120)
 * logCapturedTotal(120, 3, 0.99, { loc: 4, scale: 0.3 }).meanCapture; // ≈ e⁻⁴
 */
export function logCapturedTotal(
  u: number,
  r: number,
  p: number,
  etaPrior?: EtaPrior,
): { logLik: number; meanCapture: number } {
  if (!(u >= 0 && Number.isInteger(u)))
    throw new Error(`lnmvcp totals: a total must be a non-negative integer, got ${u}`);
  if (!(r > 0 && p > 0 && p < 1))
    throw new Error(`lnmvcp totals: need r > 0 and p in (0, 1), got r ${r}, p ${p}`);
  if (etaPrior) return logCapturedTotalEta(u, r, p, etaPrior);
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
  const logLik = logRatio + logNbNormaliser(u, r) + top + Math.log(sum);
  return { logLik, meanCapture: Math.exp(logRatio) * (sumNu / sum) };
}

/**
 * Largest r_T the lnmvcp totals fit reports, log 1e12: where the totals are no more dispersed
 * than the capture mixture makes them, the likelihood increases towards the Poisson limit
 * r_T → ∞ (NB(r, λ/(λ + r)) → Poisson(λ)), and at 1e12 NB's variance exceeds Poisson's by a
 * fraction λ/1e12 (< 1e-6 for λ < 1e6).
 */
const R_POISSON_LIMIT = 1e12;
const LOG_R_POISSON_LIMIT = Math.log(R_POISSON_LIMIT);

/** What {@link fitCapturedTotals} returns: the totals model and each cell's posterior mean capture. */
export interface CapturedTotalsFit {
  readonly fit: TotalsFit;
  /** E[ν_c | u_T,c] per cell [C]. */
  readonly meanCapture: Float64Array;
}

/**
 * lnmvcp's totals model (module doc) fitted by maximum marginal likelihood, from lnm's fit
 * with the odds divided by the prior's typical capture (½ for the flat prior; the geometric
 * mean of e^(−max(loc_c, 0)) for the biology-informed one, since odds(p̂) = odds(p)·ν).
 * `capturePrior` null (default): the flat Beta(1, 1) prior.
 * @example
 * const { fit, meanCapture } = fitCapturedTotals(Float64Array.from([900, 1100, 1500, 700]));
 * fitCapturedTotals(totals, { logM0: Math.log(2e5), sigmaM: 0.3 }).meanCapture; // ≈ u_T,c / 2e5
 */
export function fitCapturedTotals(
  totals: Float64Array,
  capturePrior: CapturePrior | null = null,
): CapturedTotalsFit {
  const start = fitTotals(totals);
  const etaPriors = capturePrior ? Array.from(totals, (u) => etaPriorOfTotal(capturePrior, u)) : null;
  const cell = (c: number, r: number, p: number) => logCapturedTotal(totals[c]!, r, p, etaPriors?.[c]);
  const logLik = (r: number, p: number) => {
    let ll = 0;
    for (let c = 0; c < totals.length; c++) ll += cell(c, r, p).logLik;
    return ll;
  };
  const logTypicalCapture = etaPriors
    ? -etaPriors.reduce((a, e) => a + Math.max(e.loc, 0), 0) / etaPriors.length
    : Math.log(0.5);
  // Coordinates (log r_T, log λ), λ = r_T·odds(p) the mean before capture: as r_T grows
  // towards the Poisson limit the likelihood depends on λ alone, so the ridge the optimiser
  // follows there is axis-aligned (in (log r_T, logit p) it was diagonal and curved).
  const logLambda0 = Math.log(start.mean) - logTypicalCapture;
  const atBound = (logR: number) => Math.min(logR, LOG_R_POISSON_LIMIT);
  const negLogLik = (logR: number, logLambda: number) => {
    const p = 1 / (1 + Math.exp(atBound(logR) - logLambda));
    return p > 0 && p < 1 ? -logLik(Math.exp(atBound(logR)), p) : Number.POSITIVE_INFINITY;
  };
  const nm = nelderMead((x) => negLogLik(x[0]!, x[1]!), [Math.log(start.rT), logLambda0], {
    maxit: 1000,
    reltol: 1e-10,
  });
  // The simplex stops once the likelihood's rise towards the limit is below its tolerance,
  // anywhere past r_T ≈ 1e8; the Poisson limit is taken when it is at least as likely.
  const atLimit = negLogLik(LOG_R_POISSON_LIMIT, nm.x[1]!) <= nm.value;
  const logR = atLimit ? LOG_R_POISSON_LIMIT : atBound(nm.x[0]!);
  const rT = atLimit ? R_POISSON_LIMIT : Math.exp(logR);
  const p = 1 / (1 + Math.exp(logR - nm.x[1]!));
  const meanCapture = Float64Array.from(totals, (_, c) => cell(c, rT, p).meanCapture);
  return {
    fit: { rT, p, mean: (rT * p) / (1 - p), capture: capturePrior ?? "flat" },
    meanCapture,
  };
}

/** The `priors` keys lnmvcp reads (Laplace-EM and the VAE): its capture prior. */
const CAPTURE_PRIOR_KEYS = ["organism", "capture_efficiency", "eta_capture"];

/**
 * lnmvcp's biology-informed capture prior from `priors`, resolved by the SVI models' own
 * resolver (organism table and tuple checks in one place, models/priors.ts); null for none.
 * Laplace-EM and the VAE both read it (`where` names the caller in errors).
 */
export function lnmvcpCapturePrior(
  model: string,
  priors: PriorsInput | undefined,
  where: string,
): CapturePrior | null {
  const keys = Object.keys(priors ?? {});
  if (keys.length === 0) return null;
  if (model !== "lnmvcp")
    throw new Error(
      `${where}: priors (${keys.join(", ")}) apply only to lnmvcp's capture; ${model} takes none`,
    );
  const other = keys.filter((k) => !CAPTURE_PRIOR_KEYS.includes(k));
  if (other.length > 0)
    throw new Error(
      `${where}: lnmvcp takes only the capture prior in priors (${CAPTURE_PRIOR_KEYS.join(", ")}); got ${other.join(", ")}`,
    );
  return resolvePriors(priors, {
    parameterization: "canonical",
    unconstrained: false,
    zeroInflated: false,
    variableCapture: true,
    nComponents: 1,
  }).capture;
}
