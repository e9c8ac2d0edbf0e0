/**
 * Digamma ψ(x) = d/dx log Γ(x).
 *
 * Method (own implementation from the mathematics):
 * - |x - x₀| < 0.25 around the positive root x₀ = 1.4616…: Taylor series in t = x - x₀
 *   with coefficients ψ^(k)(x₀)/k! (x₀ split into hi + lo), so ψ keeps full relative
 *   accuracy at its zero.
 * - 0 < x < 10 otherwise: upward recurrence ψ(x) = ψ(x + n) - Σ 1/(x + k) to x + n ≥ 10.
 * - x ≥ 10: asymptotic series ψ(x) = log x - 1/(2x) - Σ B_{2k}/(2k x^{2k}).
 * - x < 0: reflection ψ(x) = ψ(1 - x) - π·cot(πx); within 0.05 of the zeros at −0.504… and
 *   −1.573… the Taylor series about the zero (root-taylor.ts), where the reflection cancels.
 */
import { DIGAMMA_NEGATIVE_ROOTS, nearRootTaylor } from "./root-taylor.js";
import { cospi, sinpi } from "./trig-pi.js";

/** Asymptotic coefficients B_{2k}/(2k), k = 1..9: ψ(x) ≈ log x - 1/(2x) - Σ c_k / x^{2k}. */
export const DIGAMMA_ASYMPTOTIC_COEFFS = [
  0.08333333333333333, -0.008333333333333333, 0.003968253968253968, -0.004166666666666667,
  0.007575757575757576, -0.021092796092796094, 0.08333333333333333, -0.4432598039215686, 3.0539543302701198,
];

/** Positive root of ψ, x₀ = DIGAMMA_ROOT_HI + DIGAMMA_ROOT_LO (double-double). */
export const DIGAMMA_ROOT_HI = 1.4616321449683622;
/** Low part of the positive root of ψ. */
export const DIGAMMA_ROOT_LO = 9.549995429965697e-17;

/** Taylor coefficients ψ^(k)(x₀)/k!, k = 1..23, about the positive root x₀ (mpmath, 60 digits). */
export const DIGAMMA_ROOT_TAYLOR_COEFFS = [
  0.9676722454476212, -0.4427631689835921, 0.258499760955651, -0.16394270544240652, 0.10782405069126237,
  -0.07219956125645471, 0.04880428816414311, -0.03316112647484736, 0.022597648232218104, -0.01542476590494896,
  0.010538791616612175, -0.007204534386356869, 0.004926781395729853, -0.003369801655439328,
  0.002305126326734928, -0.0015769367714301972, 0.0010788252019162967, -0.0007380709389960052,
  0.000504953265834602, -0.0003454680251063077, 0.00023635601564027053, -0.00016170622091974803,
  0.0001106337276874741,
];

/** ψ(x) for x ≥ 10 by the asymptotic series (table `DIGAMMA_ASYMPTOTIC_COEFFS`). */
export function digammaAsymptotic(x: number): number {
  const c = DIGAMMA_ASYMPTOTIC_COEFFS;
  const r = 1 / x;
  const z = r * r;
  let s = c[c.length - 1] as number;
  for (let i = c.length - 2; i >= 0; i--) s = s * z + (c[i] as number);
  return Math.log(x) - 0.5 * r - s * z;
}

/**
 * Digamma ψ(x). Poles: -Infinity at x = ±0, NaN at negative integers and at -Infinity;
 * +Infinity at +Infinity. Full relative accuracy at the positive root (see file header).
 */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === Number.NEGATIVE_INFINITY) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  if (x <= 0) {
    if (x === 0) return Number.NEGATIVE_INFINITY;
    if (Number.isInteger(x)) return Number.NaN;
    if (x > -2 && x < -0.4) {
      const nearZero = nearRootTaylor(DIGAMMA_NEGATIVE_ROOTS, x);
      if (nearZero !== undefined) return nearZero;
    }
    return digamma(1 - x) - (Math.PI * cospi(x)) / sinpi(x);
  }
  const t = x - DIGAMMA_ROOT_HI - DIGAMMA_ROOT_LO;
  if (Math.abs(t) < 0.25) {
    const c = DIGAMMA_ROOT_TAYLOR_COEFFS;
    let s = c[c.length - 1] as number;
    for (let i = c.length - 2; i >= 0; i--) s = s * t + (c[i] as number);
    return s * t;
  }
  let acc = 0;
  let y = x;
  while (y < 10) {
    acc += 1 / y;
    y += 1;
  }
  return digammaAsymptotic(y) - acc;
}
