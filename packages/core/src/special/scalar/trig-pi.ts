/**
 * Trigonometric functions of π·x with exact argument reduction.
 *
 * The reduction `x mod 2` (JS `%` is an exact fmod) and the reflections `1 - r`, `0.5 - r`
 * are exact in float64, so `sinpi` keeps full relative accuracy next to every integer,
 * which the reflection formulas of lgamma / digamma / trigamma rely on.
 */

/** sin(π·x), exact argument reduction; exactly ±0 at integers, NaN for non-finite x. */
export function sinpi(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  let sign = x < 0 ? -1 : 1;
  let r = Math.abs(x) % 2;
  if (r >= 1) {
    r -= 1;
    sign = -sign;
  }
  if (r > 0.5) r = 1 - r;
  const v = r <= 0.25 ? Math.sin(Math.PI * r) : Math.cos(Math.PI * (0.5 - r));
  return sign * v;
}

/** cos(π·x), exact argument reduction; exactly 0 at half-integers, NaN for non-finite x. */
export function cospi(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  let r = Math.abs(x) % 2;
  if (r > 1) r = 2 - r;
  if (r < 0.25) return Math.cos(Math.PI * r);
  if (r <= 0.75) return Math.sin(Math.PI * (0.5 - r));
  return -Math.cos(Math.PI * (1 - r));
}
