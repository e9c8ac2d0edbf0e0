/**
 * Error functions erf, erfc and the scaled complement erfcx(x) = e^{x²}·erfc(x).
 *
 * Method (own implementation from the mathematics, no coefficient tables):
 * - |x| < ERF_SERIES_MAX: the all-positive-terms series
 *   erf(x) = (2/√π)·x·e^{-x²}·Σ_{n≥0} (2x²)ⁿ / (1·3·…·(2n+1));
 * - x ≥ ERF_SERIES_MAX: erfcx(x) from the even (Jacobi-type) continued fraction of Laplace's
 *   expansion, √π·erfcx(x) = x / (x² + ½ - (1·2/4) / (x² + 5/2 - (3·4/4) / (x² + 9/2 - …))),
 *   evaluated with the modified Lentz algorithm; erfc(x) = erfcx(x)·e^{-x²} where e^{-x²} is
 *   formed from an exact split x = h + l (h with 24 bits, so h² is exact), keeping full relative
 *   accuracy deep in the tail (erfc(26) ≈ 5.7e-296).
 */

/** 2/√π. */
export const TWO_OVER_SQRT_PI = 1.1283791670955126;
/** 1/√π. */
export const ONE_OVER_SQRT_PI = 0.5641895835477563;
/** Boundary between the power series (below) and the continued fraction (above). */
export const ERF_SERIES_MAX = 1;

/** exp(-x²) with full relative accuracy (exact split of x², see file header). */
export function expNegSquare(x: number): number {
  const ax = Math.abs(x);
  const h = Math.fround(ax);
  const l = ax - h;
  const hh = h * h;
  const corr = l * (ax + h);
  if (hh < 708) return Math.exp(-hh) * Math.exp(-corr);
  return Math.exp(-hh - corr);
}

/** Σ (2x²)ⁿ/(2n+1)!! so that erf(x) = (2/√π)·x·e^{-x²}·sum. */
function erfSeriesSum(x: number): number {
  const z = 2 * x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 200; n++) {
    term *= z / (2 * n + 1);
    sum += term;
    if (term <= 1e-17 * sum) break;
  }
  return sum;
}

/** √π·erfcx(x) via the Lentz-evaluated continued fraction (x ≥ ERF_SERIES_MAX). */
function erfcxContinuedFraction(x: number): number {
  const z = x * x;
  const tiny = 1e-300;
  let f = z + 0.5;
  let c = f;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = -((2 * n - 1) * (2 * n)) / 4;
    const b = z + 2 * n + 0.5;
    d = b + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return x / f;
}

/** Scaled complementary error function e^{x²}·erfc(x); ≈ 1/(x√π) for large x, +Infinity at -Infinity. */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x >= ERF_SERIES_MAX) {
    if (x > 1e150) return ONE_OVER_SQRT_PI / x;
    return ONE_OVER_SQRT_PI * erfcxContinuedFraction(x);
  }
  if (x < -26.7) return Number.POSITIVE_INFINITY;
  return erfc(x) / expNegSquare(x);
}

/** Error function erf(x); ±1 at ±Infinity, NaN for NaN. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax < ERF_SERIES_MAX) return TWO_OVER_SQRT_PI * x * expNegSquare(x) * erfSeriesSum(x);
  const v = 1 - erfc(ax);
  return x < 0 ? -v : v;
}

/**
 * Complementary error function erfc(x) = 1 - erf(x); 0 at +Infinity (underflows to 0 past
 * x ≈ 27.2, subnormal before that), 2 at -Infinity, NaN for NaN.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax < ERF_SERIES_MAX) return 1 - TWO_OVER_SQRT_PI * x * expNegSquare(x) * erfSeriesSum(x);
  let tail: number;
  if (ax === Number.POSITIVE_INFINITY || ax > 27.3) tail = 0;
  else if (ax > 26.5) {
    const h = Math.fround(ax);
    const l = ax - h;
    const cf = erfcxContinuedFraction(ax);
    tail = Math.exp(-h * h - l * (ax + h) + Math.log(ONE_OVER_SQRT_PI * cf));
  } else tail = ONE_OVER_SQRT_PI * erfcxContinuedFraction(ax) * expNegSquare(ax);
  return x < 0 ? 2 - tail : tail;
}
