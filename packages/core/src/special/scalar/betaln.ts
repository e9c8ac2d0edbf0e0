/**
 * log B(a, b) = log Γ(a) + log Γ(b) - log Γ(a + b) for a, b > 0.
 *
 * Method (own formulation): with a ≤ b,
 * - b < 10: the plain sum of lgamma values (all of moderate size);
 * - a < 10 ≤ b: lgamma(a) - [log Γ(a + b) - log Γ(b)], the bracket as the analytic difference
 *   of Stirling series (`lgammaShiftAsymptotic`), exact even for (1e-300, 1e300);
 * - a, b ≥ 10: Stirling's series merged analytically,
 *   ½ log 2π - ½ log(a + b) + (a - ½)·log(a/(a+b)) + (b - ½)·log(b/(a+b)) + S(a) + S(b) - S(a+b),
 *   with log(a/(a+b)) = -log1p(b/a), so nothing of size a·log a is ever subtracted.
 * Returns +Infinity when a or b is 0, NaN for negative or NaN arguments.
 */
import { HALF_LOG_2PI, lgamma, lgammaStirlingCorrection } from "./lgamma.js";
import { lgammaShiftAsymptotic } from "./shift-diff.js";

/** log B(a, b) (log of the Euler beta function) for a, b ≥ 0; see the file header. */
export function betaln(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || a < 0 || b < 0) return Number.NaN;
  let lo = a;
  let hi = b;
  if (lo > hi) {
    lo = b;
    hi = a;
  }
  if (lo === 0) return Number.POSITIVE_INFINITY;
  if (hi === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (hi < 10) return lgamma(lo) + lgamma(hi) - lgamma(lo + hi);
  if (lo < 10) return lgamma(lo) - lgammaShiftAsymptotic(hi, lo);
  const s = lo + hi;
  return (
    HALF_LOG_2PI -
    0.5 * Math.log(s) -
    (lo - 0.5) * Math.log1p(hi / lo) -
    (hi - 0.5) * Math.log1p(lo / hi) +
    (lgammaStirlingCorrection(lo) + lgammaStirlingCorrection(hi) - lgammaStirlingCorrection(s))
  );
}
