/**
 * One-sample Kolmogorov–Smirnov statistic against the standard normal and its asymptotic
 * p-value with Stephens' (1970) small-sample correction (as in Numerical Recipes §14.3).
 * @module
 */
import { specialScalar } from "@scribe/core";

/** Standard normal CDF Φ(x) = ½ erfc(−x/√2). */
export function normalCdf(x: number): number {
  return 0.5 * specialScalar.erfc(-x / Math.SQRT2);
}

/**
 * sup_x |F_n(x) − Φ(x)| of a sample (sorted in place).
 * @example
 * ksDistanceNormal(Float64Array.from([-1, 0, 1])); // ≈ 0.175
 */
export function ksDistanceNormal(x: Float64Array): number {
  x.sort();
  const n = x.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = normalCdf(x[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/**
 * P(D_n ≥ d) under the null: Q_KS((√n + 0.12 + 0.11/√n)·d) with
 * Q_KS(λ) = 2 Σ_{j≥1} (−1)^{j−1} exp(−2 j² λ²).
 * @example
 * ksPValue(0.05, 1000); // ≈ 0.012
 */
export function ksPValue(d: number, n: number): number {
  const sn = Math.sqrt(n);
  const lambda = (sn + 0.12 + 0.11 / sn) * d;
  if (lambda < 0.2) return 1;
  let sum = 0;
  let sign = 1;
  for (let j = 1; j <= 100; j++) {
    const term = sign * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12 * Math.abs(sum)) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}
