// Independent Poisson-Beta reference for the tests (not a test file): the Kummer-transformed
// series P(u) = λ^u e^(−λ)/u! · B(α+u, β)/B(α, β) · Σₙ (β)ₙ/(α+β+u)ₙ λⁿ/n! (all terms positive),
// summed term by term in float64 with its parameter derivatives.
import { specialScalar } from "@scribe/core";

const { lgamma, digamma } = specialScalar;

export interface KummerResult {
  /** log P(u). */
  lp: number;
  /** ∂ log P / ∂α, ∂β, ∂λ. */
  dAlpha: number;
  dBeta: number;
  dLam: number;
  /** Number of series terms summed. */
  terms: number;
}

/** log P(u) of PoissonBeta(α, β, λ) and its gradient, by the positive 1F1(β; α+β+u; λ) series. */
export function kummerLogPmf(alpha: number, beta: number, lam: number, u: number): KummerResult {
  const A = alpha + u;
  const c = A + beta;
  const pre =
    (u > 0 ? u * Math.log(lam) : 0) -
    lam -
    lgamma(u + 1) +
    lgamma(A) -
    lgamma(c) -
    lgamma(alpha) +
    lgamma(alpha + beta);
  // running sums scaled by e^(−M), M the largest log-term so far
  let M = 0;
  let s = 1;
  let sA = 0;
  let sB = 0;
  let sL = 0;
  let logt = 0;
  let gA = 0; // ∂ log tₙ/∂A
  let gB = 0; // ∂ log tₙ/∂β
  const maxN = Math.ceil(3 * lam + 100 * Math.sqrt(lam + 1) + 5000);
  let n = 0;
  for (; n < maxN; n++) {
    const ratio = ((beta + n) * lam) / ((c + n) * (n + 1));
    if (ratio === 0) break;
    logt += Math.log(ratio);
    gA -= 1 / (c + n);
    gB += 1 / (beta + n) - 1 / (c + n);
    const k = n + 1;
    if (logt > M) {
      const r = Math.exp(M - logt);
      s *= r;
      sA *= r;
      sB *= r;
      sL *= r;
      M = logt;
    }
    const t = Math.exp(logt - M);
    s += t;
    sA += t * gA;
    sB += t * gB;
    sL += t * (k / lam);
    // past the peak the ratios decrease, so the rest is below tₙ·ratio/(1 − ratio)
    if (ratio < 1 && logt + Math.log(ratio / (1 - ratio)) < M + Math.log(s) - 40) break;
  }
  if (n >= maxN)
    throw new Error(`kummerLogPmf: series did not converge for (${alpha}, ${beta}, ${lam}, ${u})`);
  return {
    lp: pre + M + Math.log(s),
    dAlpha: digamma(A) - digamma(c) - digamma(alpha) + digamma(alpha + beta) + sA / s,
    dBeta: -digamma(c) + digamma(alpha + beta) + sB / s,
    dLam: (u > 0 ? u / lam : 0) - 1 + sL / s,
    terms: n + 1,
  };
}
