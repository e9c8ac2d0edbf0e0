/**
 * log|Γ(x)| for all float64 x.
 *
 * Method (own implementation from the mathematics):
 * - |t| ≤ 0.5 around 2: the Taylor series of log Γ(2 + t) in t, whose coefficients are
 *   (-1)^k (ζ(k) - 1)/k (plus (1 - γ) for t¹); it converges for |t| < 2 and keeps full
 *   relative accuracy next to the zeros at x = 1 and x = 2.
 * - x ∈ (2.5, 10): downward recurrence log Γ(x) = log Π(x - k) + log Γ(x - n).
 * - x ≥ 10: Stirling's asymptotic series with Bernoulli-number coefficients.
 * - x < 0: reflection log|Γ(x)| = log π - log|sin πx| - log Γ(1 - x) (|x| ≥ 0.5),
 *   or log Γ(1 + x) - log|x| near 0; within 0.05 of the zeros at −2.457… and −2.747… the
 *   Taylor series about the zero (root-taylor.ts), where the reflection cancels.
 */
import { LGAMMA_NEGATIVE_ROOTS, nearRootTaylor } from "./root-taylor.js";
import { sinpi } from "./trig-pi.js";

/**
 * Coefficients of log Γ(2 + t) = Σ_{i≥0} C[i] · t^(i+1):
 * C[0] = 1 - γ, C[i] = (-1)^(i+1) (ζ(i+1) - 1)/(i+1) for i ≥ 1 (computed with mpmath at 60 digits).
 */
export const LGAMMA_SERIES_COEFFS = [
  0.42278433509846713, 0.3224670334241132, -0.0673523010531981, 0.020580808427784546, -0.007385551028673986,
  0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425, -0.00022315475845357939,
  9.945751278180853e-5, -4.492623673813314e-5, 2.050721277567069e-5, -9.439488275268397e-6,
  4.374866789907488e-6, -2.039215753801366e-6, 9.55141213040742e-7, -4.492469198764566e-7,
  2.1207184805554665e-7, -1.0043224823968099e-7, 4.7698101693639804e-8, -2.2711094608943164e-8,
  1.0838659214896955e-8, -5.183475041970047e-9, 2.4836745438024785e-9, -1.1921401405860912e-9,
  5.731367241678862e-10, -2.7595228851242334e-10, 1.330476437424449e-10, -6.4229645638381e-11,
  3.1044247747322276e-11,
];

/**
 * Stirling series coefficients B_{2k} / (2k(2k-1)), k = 1..9: log Γ(x) = (x - ½) log x - x
 * + ½ log 2π + Σ_k c_k / x^(2k-1).
 */
export const LGAMMA_STIRLING_COEFFS = [
  0.08333333333333333, -0.002777777777777778, 0.0007936507936507937, -0.0005952380952380953,
  0.0008417508417508417, -0.0019175269175269176, 0.00641025641025641, -0.029550653594771242,
  0.17964437236883057,
];

/** ½·log(2π). */
export const HALF_LOG_2PI = 0.9189385332046728;
/** log(π). */
export const LOG_PI = 1.1447298858494002;

/** log Γ(2 + t) for |t| ≤ 0.5 (Taylor series about 2, table `LGAMMA_SERIES_COEFFS`). */
export function lgammaAround2(t: number): number {
  const c = LGAMMA_SERIES_COEFFS;
  let s = c[c.length - 1] as number;
  for (let i = c.length - 2; i >= 0; i--) s = s * t + (c[i] as number);
  return s * t;
}

/**
 * Stirling correction S(x) = log Γ(x) - [(x - ½) log x - x + ½ log 2π] for x ≥ 10
 * (asymptotic series, table `LGAMMA_STIRLING_COEFFS`; error < 1e-17 relative to log Γ there).
 */
export function lgammaStirlingCorrection(x: number): number {
  const c = LGAMMA_STIRLING_COEFFS;
  const r = 1 / x;
  const z = r * r;
  let s = c[c.length - 1] as number;
  for (let i = c.length - 2; i >= 0; i--) s = s * z + (c[i] as number);
  return s * r;
}

/**
 * log|Γ(x)|: +Infinity at 0, at negative integers and at ±Infinity; NaN for NaN.
 * Accurate to a few ulp over the whole range, including x = 1e-300, x = 1e300 and next
 * to the zeros at 1 and 2. See the file header for the method.
 */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (!Number.isFinite(x)) return Number.POSITIVE_INFINITY;
  const ax = Math.abs(x);
  if (ax < 0.5) {
    if (x === 0) return Number.POSITIVE_INFINITY;
    return lgammaAround2(x) - Math.log1p(x) - Math.log(ax);
  }
  if (x < 0) {
    if (Number.isInteger(x)) return Number.POSITIVE_INFINITY;
    if (x > -3 && x < -2) {
      const nearZero = nearRootTaylor(LGAMMA_NEGATIVE_ROOTS, x);
      if (nearZero !== undefined) return nearZero;
    }
    return LOG_PI - Math.log(Math.abs(sinpi(x))) - lgamma(1 - x);
  }
  if (x < 1.5) {
    const t = x - 1;
    return lgammaAround2(t) - Math.log1p(t);
  }
  if (x <= 2.5) return lgammaAround2(x - 2);
  if (x < 10) {
    let p = 1;
    let y = x;
    while (y > 2.5) {
      y -= 1;
      p *= y;
    }
    return Math.log(p) + lgammaAround2(y - 2);
  }
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + lgammaStirlingCorrection(x);
}

/**
 * log Γ(1 + t), accurate for tiny |t| (where 1 + t would round); same conventions as lgamma.
 * Series about 2 for |t| ≤ 1.5 without forming 1 + t, else lgamma(1 + t).
 */
export function lgamma1p(t: number): number {
  if (Math.abs(t) <= 0.5) return lgammaAround2(t) - Math.log1p(t);
  if (t > 0.5 && t <= 1.5) return lgammaAround2(t - 1);
  return lgamma(1 + t);
}
