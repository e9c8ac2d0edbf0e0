/**
 * Upper-tail probabilities of the test statistics (F, χ², normal, Student t) via
 * the regularised incomplete beta and gamma functions, and the log-density of the
 * F distribution used by the QL prior fit.
 * @module
 */
import { betainc, gammaincc, lgamma } from "./special.js";

/**
 * P(F > f) for F ~ F(d1, d2) = I_{d2/(d2 + d1 f)}(d2/2, d1/2); d2 = ∞ gives the
 * χ²_{d1}/d1 limit. f ≤ 0 → 1; NaN → NaN.
 * @example
 * ```ts
 * fUpper(1, 1, 1); // 0.5
 * ```
 */
export function fUpper(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f)) return Number.NaN;
  if (f <= 0) return 1;
  if (f === Number.POSITIVE_INFINITY) return 0;
  if (d2 === Number.POSITIVE_INFINITY) return gammaincc(d1 / 2, (d1 * f) / 2);
  return betainc(d2 / 2, d1 / 2, d2 / (d2 + d1 * f));
}

/**
 * P(X > x) for X ~ χ²_df.
 * @example
 * ```ts
 * chiSquareUpper(3.841458820694124, 1); // ≈ 0.05
 * ```
 */
export function chiSquareUpper(x: number, df: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return gammaincc(df / 2, x / 2);
}

/**
 * Two-sided normal p-value P(|Z| > |z|) = Q(½, z²/2).
 * @example
 * ```ts
 * normalTwoSided(1.959963984540054); // ≈ 0.05
 * ```
 */
export function normalTwoSided(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return gammaincc(0.5, (z * z) / 2);
}

/**
 * Two-sided Student-t p-value P(|T| > |t|) = I_{df/(df+t²)}(df/2, ½); df = ∞ is normal.
 * @example
 * ```ts
 * tTwoSided(12.706204736174707, 1); // ≈ 0.05
 * ```
 */
export function tTwoSided(t: number, df: number): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalTwoSided(t);
  return betainc(df / 2, 0.5, df / (df + t * t));
}

/** lgamma(a + b) − lgamma(b) − a·log b, accurate for large b (Stirling series). */
export function lgammaRatioLog(a: number, b: number): number {
  if (b === Number.POSITIVE_INFINITY) return 0;
  if (b < 1e4) return lgamma(a + b) - lgamma(b) - a * Math.log(b);
  const c = b + a;
  return (c - 0.5) * Math.log1p(a / b) - a + (1 / c - 1 / b) / 12 - (1 / (c * c * c) - 1 / (b * b * b)) / 360;
}

/**
 * log density of the F(d1, d2) distribution at x > 0; d2 = ∞ gives the
 * χ²_{d1}/d1 (Gamma(d1/2, rate d1/2)) limit.
 */
export function fLogDensity(x: number, d1: number, d2: number): number {
  const a = d1 / 2;
  if (d2 === Number.POSITIVE_INFINITY) return a * Math.log(a) + (a - 1) * Math.log(x) - lgamma(a) - a * x;
  const b = d2 / 2;
  return (
    a * Math.log(a) +
    (a - 1) * Math.log(x) -
    lgamma(a) +
    lgammaRatioLog(a, b) -
    (a + b) * Math.log1p((a * x) / b)
  );
}
