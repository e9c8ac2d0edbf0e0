/**
 * Trigamma ψ'(x) = d²/dx² log Γ(x).
 *
 * Method (own implementation from the mathematics): upward recurrence
 * ψ'(x) = Σ_{k<n} 1/(x + k)² + ψ'(x + n) (all terms positive, no cancellation) to x + n ≥ 10,
 * then the asymptotic series ψ'(x) = 1/x + 1/(2x²) + Σ B_{2k}/x^{2k+1}; reflection
 * ψ'(x) = π²/sin²(πx) - ψ'(1 - x) for x < 0.
 */
import { sinpi } from "./trig-pi.js";

/** Bernoulli numbers B_{2k}, k = 1..9: ψ'(x) ≈ 1/x + 1/(2x²) + Σ B_{2k} / x^{2k+1}. */
export const TRIGAMMA_ASYMPTOTIC_COEFFS = [
  0.16666666666666666, -0.03333333333333333, 0.023809523809523808, -0.03333333333333333, 0.07575757575757576,
  -0.2531135531135531, 1.1666666666666667, -7.092156862745098, 54.971177944862156,
];

/** ψ'(x) for x ≥ 10 by the asymptotic series (table `TRIGAMMA_ASYMPTOTIC_COEFFS`). */
export function trigammaAsymptotic(x: number): number {
  const c = TRIGAMMA_ASYMPTOTIC_COEFFS;
  const r = 1 / x;
  const z = r * r;
  let s = c[c.length - 1] as number;
  for (let i = c.length - 2; i >= 0; i--) s = s * z + (c[i] as number);
  return r * (1 + r * (0.5 + r * s));
}

/**
 * Trigamma ψ'(x). Poles (0 and negative integers): +Infinity (ψ' → +∞ from both sides);
 * 0 at +Infinity; NaN at -Infinity and NaN. Overflows to +Infinity for 0 < x ≲ 1e-154.
 */
export function trigamma(x: number): number {
  if (Number.isNaN(x) || x === Number.NEGATIVE_INFINITY) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x <= 0) {
    if (Number.isInteger(x)) return Number.POSITIVE_INFINITY;
    const s = sinpi(x);
    return (Math.PI * Math.PI) / (s * s) - trigamma(1 - x);
  }
  let acc = 0;
  let y = x;
  while (y < 10) {
    acc += 1 / (y * y);
    y += 1;
  }
  return acc + trigammaAsymptotic(y);
}
