/**
 * Standard normal quantile Φ⁻¹(p).
 *
 * Method (own implementation): a starting value from the classical rational approximation of
 * Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) is refined by Newton's method to full precision:
 * - central region (0.2 ≤ p ≤ 0.8): on ½·erf(x/√2) - (p - ½) (p - ½ is exact), which keeps
 *   full relative accuracy for x near 0 (p = 0.5 + 1e-12);
 * - tails: on log Φ(x) - log q with q = min(p, 1 - p) (1 - p exact for p ≥ ½), so p down to
 *   1e-300 converges to full relative accuracy.
 */
import { erf } from "./erf.js";
import { logNdtr, SQRT1_2 } from "./log-ndtr.js";

/** A&S 26.2.23 numerator coefficients c0, c1, c2 (t-polynomial). */
export const NDTRI_AS_NUM = [2.515517, 0.802853, 0.010328];
/** A&S 26.2.23 denominator coefficients d1, d2, d3 (1 + d1 t + d2 t² + d3 t³). */
export const NDTRI_AS_DEN = [1.432788, 0.189269, 0.001308];

/** log √(2π). */
const LOG_SQRT_2PI = 0.9189385332046728;
/** √(2π). */
const SQRT_2PI = 2.5066282746310002;

/** Starting value for Φ⁻¹(q), 0 < q ≤ ½ (A&S 26.2.23). */
function initialLower(q: number): number {
  const t = Math.sqrt(-2 * Math.log(q));
  const n = NDTRI_AS_NUM;
  const d = NDTRI_AS_DEN;
  const num = (n[0] as number) + t * ((n[1] as number) + t * (n[2] as number));
  const den = 1 + t * ((d[0] as number) + t * ((d[1] as number) + t * (d[2] as number)));
  return -(t - num / den);
}

/** Φ⁻¹(p): -Infinity at 0, +Infinity at 1, NaN outside [0, 1]. */
export function ndtri(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const upper = p > 0.5;
  const q = upper ? 1 - p : p;
  let x = initialLower(q);
  if (p >= 0.2 && p <= 0.8) {
    const target = p - 0.5;
    if (upper) x = -x;
    for (let i = 0; i < 8; i++) {
      const f = 0.5 * erf(x * SQRT1_2) - target;
      const dens = Math.exp(-0.5 * x * x) / SQRT_2PI;
      const dx = f / dens;
      x -= dx;
      if (Math.abs(dx) <= 1e-17 * Math.abs(x)) break;
    }
    return x;
  }
  const lq = Math.log(q);
  for (let i = 0; i < 12; i++) {
    const lphi = logNdtr(x);
    const slope = Math.exp(-0.5 * x * x - LOG_SQRT_2PI - lphi);
    const dx = (lphi - lq) / slope;
    x -= dx;
    if (Math.abs(dx) <= 1e-17 * Math.abs(x)) break;
  }
  return upper ? -x : x;
}
