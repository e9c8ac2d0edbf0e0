/**
 * Maximum-likelihood fit of the LNM totals model u_T,c ~ NB(r_T, p) (NumPyro's probs
 * convention, mean r_T p / (1 − p); `../shared/spec/scribe.md` §1.8). The totals are
 * independent of the composition, so they are fitted on their own: for fixed r_T the MLE of
 * p is m̄ / (m̄ + r_T); r_T maximises the profile likelihood (golden section on log r_T).
 * @module
 */
import { specialScalar } from "@scribe/core";
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
