/**
 * The Beta quantile function (inverse of the regularized incomplete beta I_x(a, b) in x), float64
 * on the host: the closed form behind Beta, beta-prime and Dirichlet-marginal quantiles.
 * @module
 */
import { specialScalar } from "@scribe/core";

/**
 * Newton step in log x below which the root counts as found: convergence is quadratic, so the
 * error after a step this small is far below float64's resolution.
 */
const STEP_TOL = 1e-11;
const MAX_ITER = 200;
/** Upper-tail levels below this are matched as such (see rootBelowHalf). */
const UPPER_TAIL_BELOW = 1e-3;
/** a + b above which the Newton start is the normal approximation (see startLogX). */
const NORMAL_START_MIN = 20;
/** log of the smallest positive float64: the bracket's lower end in log x. */
const LOG_MIN_X = -745;

/**
 * x with I_x(a, b) = q and its complement 1 − x, each to full float64 relative precision where
 * the level allows it: the root is sought on the side of ½ where it lies (x ≤ ½, or y = 1 − x ≤ ½
 * from I_y(b, a) = 1 − q), so a quantile next to 1 keeps its distance to 1, and a level next to
 * 1 is matched through its upper tail, so it keeps its distance to 1 too. q = 0 gives [0, 1], q = 1 gives [1, 0].
 * @example
 * betaQuantileWithComplement(2, 3, 0.5); // [0.3857275681323…, 0.6142724318676…]
 */
export function betaQuantileWithComplement(a: number, b: number, q: number): [number, number] {
  if (!(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b))
    throw new Error(`betaQuantile: concentrations must be positive and finite, got a = ${a}, b = ${b}`);
  if (!(q >= 0 && q <= 1)) throw new Error(`betaQuantile: the level must lie in [0, 1], got ${q}`);
  if (q === 0) return [0, 1];
  if (q === 1) return [1, 0];
  if (q <= specialScalar.betainc(a, b, 0.5)) {
    const x = rootBelowHalf(a, b, q, 1 - q);
    return [x, 1 - x];
  }
  const y = rootBelowHalf(b, a, 1 - q, q);
  return [1 - y, y];
}

/** x with I_x(a, b) = q for 0 < q < 1 (see {@link betaQuantileWithComplement}). */
export function betaQuantile(a: number, b: number, q: number): number {
  return betaQuantileWithComplement(a, b, q)[0];
}

/**
 * Root x ≤ ½ of I_x(a, b) = lower (equivalently I_{1−x}(b, a) = upper = 1 − lower) by Newton's
 * method in u = log x, safeguarded by bisection on the bracket [LOG_MIN_X, −log 2]. One tail is
 * matched (g(u) = log I_x(a, b) − log lower, or log upper − log I_{1−x}(b, a) when upper is
 * small): core's betainc computes a tail below its mean directly, so the target keeps its
 * relative precision, and log of a tail is nearly linear in log x where the tail is small (I ≈ C xᵃ), so
 * Newton converges in a few steps. g′(u) = x·pdf(x)/tail.
 */
function rootBelowHalf(a: number, b: number, lower: number, upper: number): number {
  // Match the upper tail only when the lower level is so close to 1 that its complement would
  // lose digits; otherwise the lower tail, evaluated at the small x itself (1 − x would round).
  const matchLower = upper >= UPPER_TAIL_BELOW;
  const logLevel = Math.log(matchLower ? lower : upper);
  let lo = LOG_MIN_X;
  let hi = -Math.LN2;
  let u = startLogX(a, b, lower);
  if (!(u > lo && u <= hi)) u = 0.5 * (lo + hi);
  for (let it = 0; it < MAX_ITER; it++) {
    const x = Math.exp(u);
    const tail = matchLower ? specialScalar.betainc(a, b, x) : specialScalar.betainc(b, a, 1 - x);
    if (tail === 0) {
      // beyond the representable tail: below the root (lower) or above it (upper)
      if (matchLower) lo = u;
      else hi = u;
      u = 0.5 * (lo + hi);
      continue;
    }
    const g = matchLower ? Math.log(tail) - logLevel : logLevel - Math.log(tail);
    if (g === 0) return x;
    if (g < 0) lo = u;
    else hi = u;
    const slope = (x * specialScalar.betaincGradX(a, b, x)) / tail;
    const step = g / slope;
    if (Math.abs(step) <= STEP_TOL) return Math.exp(u - step);
    if (hi - lo <= STEP_TOL) return Math.exp(0.5 * (lo + hi));
    u = u - step > lo && u - step < hi ? u - step : 0.5 * (lo + hi);
  }
  return Math.exp(u);
}

/**
 * A starting log x for {@link rootBelowHalf}: for a + b above NORMAL_START_MIN the normal
 * approximation mean + Φ⁻¹(q)·sd (fewer Newton steps where each betainc is dear: its continued
 * fraction grows with √(a + b)), where it lands in (0, ½]; else the root of the small-x leading
 * term I_x ≈ xᵃ / (a B(a, b)).
 */
function startLogX(a: number, b: number, lower: number): number {
  if (a + b > NORMAL_START_MIN) {
    const s = a + b;
    const x = a / s + specialScalar.ndtri(lower) * Math.sqrt((a * b) / (s * s * (s + 1)));
    if (x > 0 && x <= 0.5) return Math.log(x);
  }
  return Math.min(-Math.LN2, (Math.log(lower) + Math.log(a) + specialScalar.betaln(a, b)) / a);
}
