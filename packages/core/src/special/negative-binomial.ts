import { digammaShiftDiff, lgamma, lgammaShiftDiff } from "./scalar/index.js";

/**
 * Scalar reference forms of the negative-binomial log-pmf in the (mean μ, concentration θ)
 * form, log NB(y | μ, θ) = lgamma(y+θ) − lgamma(θ) − log y! + θ log(θ/(θ+μ)) + y log(μ/(θ+μ)),
 * and its partials. Fused loops inline the count-aware group in expr/scalar-groups.ts
 * instead; these are the plain definitions it is tested against.
 */

const LFACTORIAL_TABLE_SIZE = 1024;
// Each entry from lgamma (≤ 2.2 ulp vs Python's math.lgamma), not a running sum of logs, whose
// rounding errors add up to 8 ulp by 1000.
const LFACTORIAL_TABLE = Float64Array.from({ length: LFACTORIAL_TABLE_SIZE }, (_, i) => (i < 2 ? 0 : lgamma(i + 1)));

/** log(y!) for integer y ≥ 0 (table below 1024, lgamma above); lgamma(y + 1) otherwise. */
export function lfactorial(y: number): number {
  if (y >= 0 && y < LFACTORIAL_TABLE_SIZE && y === Math.floor(y)) return LFACTORIAL_TABLE[y]!;
  return lgamma(y + 1);
}

/** log NB(y | mean μ, concentration θ); μ = 0 gives a point mass at 0. */
export function nb2LogPmf(y: number, mu: number, theta: number): number {
  const zeroTerm = -theta * Math.log1p(mu / theta);
  if (y === 0) return zeroTerm;
  if (mu === 0) return -Infinity;
  return lgammaShiftDiff(theta, y) - lfactorial(y) + zeroTerm - y * Math.log1p(theta / mu);
}

/** ∂/∂μ log NB(y | μ, θ) = θ (y − μ) / (μ (θ + μ)). */
export function nb2GradMean(y: number, mu: number, theta: number): number {
  if (y === 0) return -theta / (theta + mu);
  return (theta * (y - mu)) / (mu * (theta + mu));
}

/** ∂/∂θ log NB(y | μ, θ) = ψ(y+θ) − ψ(θ) − log1p(μ/θ) + (μ − y)/(θ + μ). */
export function nb2GradConc(y: number, mu: number, theta: number): number {
  const base = -Math.log1p(mu / theta) + (mu - y) / (theta + mu);
  return y === 0 ? base : digammaShiftDiff(theta, y) + base;
}

/** log NB(y | r, p), NumPyro's probs convention (mean r·p/(1−p)). */
export function nbProbsLogPmf(y: number, r: number, p: number): number {
  if (y === 0) return r * Math.log1p(-p);
  return lgammaShiftDiff(r, y) - lfactorial(y) + r * Math.log1p(-p) + y * Math.log(p);
}

/** ∂/∂r log NB(y | r, p) = ψ(y+r) − ψ(r) + log(1−p). */
export function nbProbsGradR(y: number, r: number, p: number): number {
  return (y === 0 ? 0 : digammaShiftDiff(r, y)) + Math.log1p(-p);
}

/** ∂/∂p log NB(y | r, p) = y/p − r/(1−p). */
export function nbProbsGradP(y: number, r: number, p: number): number {
  return (y === 0 ? 0 : y / p) - r / (1 - p);
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** log NB(y | r, logits l) = lgamma(y+r) − lgamma(r) − log y! − r·softplus(l) − y·softplus(−l). */
export function nbLogitsLogPmf(y: number, r: number, l: number): number {
  if (y === 0) return -r * softplus(l);
  return lgammaShiftDiff(r, y) - lfactorial(y) - r * softplus(l) - y * softplus(-l);
}

/** ∂/∂r log NB(y | r, l) = ψ(y+r) − ψ(r) − softplus(l). */
export function nbLogitsGradR(y: number, r: number, l: number): number {
  return (y === 0 ? 0 : digammaShiftDiff(r, y)) - softplus(l);
}

/** ∂/∂l log NB(y | r, l) = y − (r + y)·sigmoid(l). */
export function nbLogitsGradLogits(y: number, r: number, l: number): number {
  return y - (r + y) / (1 + Math.exp(-l));
}

/** Zero-inflated log NB(y | r, p) with gate probability g. */
export function zinbProbsLogPmf(y: number, r: number, p: number, g: number): number {
  if (y === 0) return Math.log(g + (1 - g) * Math.exp(r * Math.log1p(-p)));
  return Math.log1p(-g) + nbProbsLogPmf(y, r, p);
}

/** ∂/∂r of the zero-inflated NB log-pmf. */
export function zinbProbsGradR(y: number, r: number, p: number, g: number): number {
  if (y !== 0) return nbProbsGradR(y, r, p);
  const e = Math.exp(r * Math.log1p(-p));
  return (((1 - g) * e) / (g + (1 - g) * e)) * Math.log1p(-p);
}

/** ∂/∂p of the zero-inflated NB log-pmf. */
export function zinbProbsGradP(y: number, r: number, p: number, g: number): number {
  if (y !== 0) return nbProbsGradP(y, r, p);
  const e = Math.exp(r * Math.log1p(-p));
  return (-((1 - g) * e) / (g + (1 - g) * e)) * (r / (1 - p));
}

/** ∂/∂g of the zero-inflated NB log-pmf. */
export function zinbProbsGradGate(y: number, r: number, p: number, g: number): number {
  if (y !== 0) return -1 / (1 - g);
  const e = Math.exp(r * Math.log1p(-p));
  return (1 - e) / (g + (1 - g) * e);
}
