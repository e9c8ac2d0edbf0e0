/**
 * Standard normal CDF Φ(x) and its logarithm.
 *
 * Method (own implementation): Φ(x) = ½·erfc(-x/√2). In the tails the complement is formed as
 * ½·erfcx(|x|/√2)·e^{-x²/2} with e^{-x²/2} from an exact split of x (so the relative accuracy
 * does not suffer from rounding x/√2), and log Φ(x) for very negative x as
 * log(½·erfcx(-x/√2)) - x²/2, which never underflows (x = -1e10 is fine).
 * For x > 0, log Φ(x) = log1p(-Φ(-x)) ≈ -Φ(-x).
 */
import { ERF_SERIES_MAX, erfc, erfcx } from "./erf.js";

/** √2. */
export const SQRT2 = Math.SQRT2;
/** 1/√2. */
export const SQRT1_2 = Math.SQRT1_2;

/** e^{-x²/2} with full relative accuracy (exact 24-bit split of x). */
function expNegHalfSquare(x: number): number {
  const ax = Math.abs(x);
  const h = Math.fround(ax);
  const l = ax - h;
  const hh = 0.5 * h * h;
  const corr = 0.5 * l * (ax + h);
  if (hh < 708) return Math.exp(-hh) * Math.exp(-corr);
  return Math.exp(-hh - corr);
}

/** Φ(-t) for t ≥ 0 (upper normal tail), full relative accuracy. */
function upperTail(t: number): number {
  const z = t * SQRT1_2;
  if (z < ERF_SERIES_MAX) return 0.5 * erfc(z);
  if (t > 38.7) return 0;
  return 0.5 * erfcx(z) * expNegHalfSquare(t);
}

/** Standard normal CDF Φ(x) = ½·erfc(-x/√2); 0 / 1 at ∓Infinity, NaN for NaN. */
export function ndtr(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return upperTail(-x);
  return 1 - upperTail(x);
}

/**
 * log Φ(x) (log of the standard normal CDF): -Infinity at -Infinity, 0 at +Infinity.
 * Accurate for x → -1e10 (asymptotic via erfcx) and for large positive x (≈ -Φ(-x)).
 */
export function logNdtr(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.NEGATIVE_INFINITY) return x;
  if (x > 0) return Math.log1p(-upperTail(x));
  const z = -x * SQRT1_2;
  if (z < ERF_SERIES_MAX) return Math.log(0.5 * erfc(z));
  return Math.log(0.5 * erfcx(z)) - 0.5 * x * x;
}
