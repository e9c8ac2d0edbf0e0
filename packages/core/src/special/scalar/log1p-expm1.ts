/**
 * log1p, expm1 and log1pmx.
 *
 * V8's `Math.log1p` / `Math.expm1` are correctly-rounded-to-within-1-ulp fdlibm-style
 * implementations, which meet the reference values, so they are wrapped directly.
 */

/** log(1 + x), accurate for tiny x; -Infinity at x = -1, NaN below. Wraps `Math.log1p`. */
export function log1p(x: number): number {
  return Math.log1p(x);
}

/** exp(x) - 1, accurate for tiny x; -1 as x → -∞, +Infinity on overflow. Wraps `Math.expm1`. */
export function expm1(x: number): number {
  return Math.expm1(x);
}

/**
 * log(1 + t) - t without cancellation. For |t| < 0.5 uses the atanh series
 * log(1+t) = 2·atanh(u), u = t/(2+t): log1p(t) - t = -t²/(2+t) + 2·Σ_{k≥1} u^(2k+1)/(2k+1);
 * otherwise the direct difference (no cancellation there). -Infinity at t = -1.
 */
export function log1pmx(t: number): number {
  if (Math.abs(t) >= 0.5) return Math.log1p(t) - t;
  const u = t / (2 + t);
  const u2 = u * u;
  let term = u * u2;
  let sum = 0;
  for (let k = 3; k < 80; k += 2) {
    const c = term / k;
    sum += c;
    if (Math.abs(c) <= 1e-17 * Math.abs(sum)) break;
    term *= u2;
  }
  return (-t * t) / (2 + t) + 2 * sum;
}
