/**
 * Count-aware differences of log Γ and its derivatives (negative-binomial kernels):
 *   lgammaShiftDiff(θ, y)   = log Γ(θ + y) - log Γ(θ)
 *   digammaShiftDiff(θ, y)  = ψ(θ + y) - ψ(θ)
 *   trigammaShiftDiff(θ, y) = ψ'(θ + y) - ψ'(θ)
 * for θ > 0 and y ≥ 0 (integer-valued y is the fast path; real y is accepted).
 *
 * Method (own implementation from the mathematics):
 * - y = 0: exactly 0.
 * - integer y ≤ SHIFT_DIFF_DIRECT_MAX: the finite product / sums
 *   log Π_{k<y}(θ + k) (product taken in chunks so it cannot over/underflow),
 *   Σ 1/(θ + k), -Σ 1/(θ + k)², summed from the smallest term.
 * - otherwise: shift θ up to θ + m ≥ 10 with the same finite forms, then take the difference
 *   of the Stirling-type asymptotic series analytically, e.g.
 *   log Γ(θ + y) - log Γ(θ) = (θ + y - ½)·log1p(y/θ) + y(log θ - 1) + S(θ + y) - S(θ),
 *   which has no catastrophic cancellation even for θ = 1e12.
 */
import { DIGAMMA_ASYMPTOTIC_COEFFS, digamma } from "./digamma.js";
import { lgamma, lgammaStirlingCorrection } from "./lgamma.js";
import { TRIGAMMA_ASYMPTOTIC_COEFFS, trigamma } from "./trigamma.js";

/** Largest integer y evaluated by the direct product / sum forms. */
export const SHIFT_DIFF_DIRECT_MAX = 16;

/** Even-power tail Σ c_k z^k (k ≥ 1) of an asymptotic series with z = 1/x². */
function evenTail(c: readonly number[], z: number): number {
  let s = c[c.length - 1] as number;
  for (let i = c.length - 2; i >= 0; i--) s = s * z + (c[i] as number);
  return s * z;
}

/** log Γ(θ + y) - log Γ(θ) for θ ≥ 10, y ≥ 0 (difference of Stirling series). */
export function lgammaShiftAsymptotic(theta: number, y: number): number {
  return (
    (theta + y - 0.5) * Math.log1p(y / theta) +
    y * (Math.log(theta) - 1) +
    (lgammaStirlingCorrection(theta + y) - lgammaStirlingCorrection(theta))
  );
}

/** ψ(θ + y) - ψ(θ) for θ ≥ 10, y ≥ 0 (difference of asymptotic series). */
export function digammaShiftAsymptotic(theta: number, y: number): number {
  const ty = theta + y;
  const c = DIGAMMA_ASYMPTOTIC_COEFFS;
  const a = 1 / theta;
  const b = 1 / ty;
  return Math.log1p(y / theta) + y / (2 * theta) / ty + (evenTail(c, a * a) - evenTail(c, b * b));
}

/** ψ'(θ + y) - ψ'(θ) for θ ≥ 10, y ≥ 0 (difference of asymptotic series). */
export function trigammaShiftAsymptotic(theta: number, y: number): number {
  const ty = theta + y;
  const c = TRIGAMMA_ASYMPTOTIC_COEFFS;
  const a = 1 / theta;
  const b = 1 / ty;
  const r1 = y / theta / ty;
  const r2 = (r1 * ((2 * theta + y) / ty)) / (2 * theta);
  return -r1 - r2 + (b * evenTail(c, b * b) - a * evenTail(c, a * a));
}

function isSmallCount(y: number): boolean {
  return y <= SHIFT_DIFF_DIRECT_MAX && Number.isInteger(y);
}

/**
 * log Γ(θ + y) - log Γ(θ) for θ > 0, y ≥ 0 (0 at y = 0). Accurate to ~1e-15 relative for
 * θ from 1e-300 to 1e300 (direct chunked product for integer y ≤ 16, shifted asymptotic
 * difference otherwise; see file header).
 */
export function lgammaShiftDiff(theta: number, y: number): number {
  if (Number.isNaN(theta) || Number.isNaN(y)) return Number.NaN;
  if (y === 0) return 0;
  if (isSmallCount(y)) {
    if (theta > 1e100) {
      let s = y * Math.log(theta);
      for (let k = 1; k < y; k++) s += Math.log1p(k / theta);
      return s;
    }
    let acc = 0;
    let p = 1;
    for (let k = 0; k < y; k++) {
      p *= theta + k;
      if (p > 1e150 || p < 1e-150) {
        acc += Math.log(p);
        p = 1;
      }
    }
    return acc + Math.log(p);
  }
  const m = theta < 10 ? Math.ceil(10 - theta) : 0;
  if (y < m) return lgamma(theta + y) - lgamma(theta);
  let p = 1;
  for (let k = 0; k < m; k++) p *= theta + k;
  return Math.log(p) + lgammaShiftAsymptotic(theta + m, y - m);
}

/**
 * ψ(θ + y) - ψ(θ) for θ > 0, y ≥ 0 (0 at y = 0): Σ_{k<y} 1/(θ + k) for integer y ≤ 16,
 * shifted asymptotic difference otherwise (see file header). ~1e-15 relative.
 */
export function digammaShiftDiff(theta: number, y: number): number {
  if (Number.isNaN(theta) || Number.isNaN(y)) return Number.NaN;
  if (y === 0) return 0;
  if (isSmallCount(y)) {
    let s = 0;
    for (let k = y - 1; k >= 0; k--) s += 1 / (theta + k);
    return s;
  }
  const m = theta < 10 ? Math.ceil(10 - theta) : 0;
  if (y < m) return digamma(theta + y) - digamma(theta);
  let s = 0;
  for (let k = m - 1; k >= 0; k--) s += 1 / (theta + k);
  return digammaShiftAsymptotic(theta + m, y - m) + s;
}

/**
 * ψ'(θ + y) - ψ'(θ) for θ > 0, y ≥ 0 (0 at y = 0; always ≤ 0): -Σ_{k<y} 1/(θ + k)² for
 * integer y ≤ 16, shifted asymptotic difference otherwise (see file header). ~1e-15 relative.
 */
export function trigammaShiftDiff(theta: number, y: number): number {
  if (Number.isNaN(theta) || Number.isNaN(y)) return Number.NaN;
  if (y === 0) return 0;
  if (isSmallCount(y)) {
    let s = 0;
    for (let k = y - 1; k >= 0; k--) {
      const u = theta + k;
      s += 1 / (u * u);
    }
    return -s;
  }
  const m = theta < 10 ? Math.ceil(10 - theta) : 0;
  if (y < m) return trigamma(theta + y) - trigamma(theta);
  let s = 0;
  for (let k = m - 1; k >= 0; k--) {
    const u = theta + k;
    s += 1 / (u * u);
  }
  return trigammaShiftAsymptotic(theta + m, y - m) - s;
}
