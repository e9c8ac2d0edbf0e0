/**
 * Standard normal truncated to an interval, by exact rejection.
 *
 * @module
 */
import type { Key } from "./key.js";
import { ABOVE_NEG_INF, BELOW_INF, truncationOrderMessage } from "./param-rules.js";
import { pexpm1, plog, plog1p } from "./portable-math.js";
import { at, checkCount, checkParam, ElementStream, type Param } from "./stream.js";

const SQRT_2PI = 2.5066282746310002;

/**
 * One draw of Z ~ N(0, 1) conditioned on a <= Z <= b with a >= 0 (b may be +Infinity):
 * a truncated-exponential proposal on [a, b] with rate lambda = (a + sqrt(a^2 + 4)) / 2
 * (Robert's optimal rate for the one-sided tail), sampled by inversion, accepted with
 * probability exp(-(z - lambda)^2 / 2) / M, where M is that function's maximum on
 * [a, b]. Acceptance is at least exp(-1/2) for every such interval.
 */
function upperTail(s: ElementStream, a: number, b: number): number {
  const lam = 0.5 * (a + Math.sqrt(a * a + 4));
  const width = b - a;
  const mass = -pexpm1(-lam * width); // P(E <= width) for E ~ Exp(lam); 1 when b = inf
  const logM = lam > b ? -0.5 * (b - lam) * (b - lam) : 0;
  for (;;) {
    const u = s.uniform();
    let z = a - plog1p(-u * mass) / lam;
    if (z > b) z = b; // rounding guard
    const v = s.uniform();
    const d = z - lam;
    if (plog(v) <= -0.5 * d * d - logM) return z;
  }
}

/**
 * One draw of Z ~ N(0, 1) conditioned on a <= Z <= b with a < 0 < b: plain normal
 * rejection when b - a >= sqrt(2 pi) (acceptance >= ~0.49), otherwise a uniform
 * proposal on [a, b] accepted with probability exp(-z^2 / 2) (acceptance >= ~0.49).
 */
function straddle(s: ElementStream, a: number, b: number): number {
  if (b - a >= SQRT_2PI) {
    for (;;) {
      const z = s.normal();
      if (z >= a && z <= b) return z;
    }
  }
  for (;;) {
    const z = a + (b - a) * s.uniform();
    if (plog(s.uniform()) <= -0.5 * z * z) return z;
  }
}

/**
 * `n` draws of a standard normal truncated to [lower, upper].
 *
 * Algorithm: exact accept–reject after C. P. Robert, "Simulation of truncated normal
 * variables", Statistics and Computing 5 (1995). Intervals on the negative side are
 * reflected to the positive side. A one-sided interval [a, b] with a >= 0 uses a
 * truncated exponential proposal with Robert's rate (a + sqrt(a^2 + 4)) / 2; an
 * interval containing 0 uses normal rejection when it is wide and a uniform proposal
 * when it is narrow. Every case accepts with probability above ~0.49, and tails such as
 * [8, inf) or (-inf, -1e3] are exact (no CDF is ever evaluated). Element `i` consumes
 * its own counter stream `(m, i)`. A degenerate interval lower = upper returns lower.
 *
 * @param k - the key
 * @param n - number of draws
 * @param lower - lower bound(s), finite or -Infinity
 * @param upper - upper bound(s), finite or +Infinity, >= lower
 *
 * @example
 * ```ts
 * const z = truncatedNormal(key(0), 1000, 8, Infinity); // all >= 8, mean ~ 8.12
 * ```
 */
export function truncatedNormal(k: Key, n: number, lower: Param, upper: Param): Float64Array {
  checkCount("truncatedNormal", n);
  checkParam("truncatedNormal", "lower", lower, n, BELOW_INF.ok, BELOW_INF.want);
  checkParam("truncatedNormal", "upper", upper, n, ABOVE_NEG_INF.ok, ABOVE_NEG_INF.want);
  const s = new ElementStream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = at(lower, i);
    const b = at(upper, i);
    if (!(a <= b)) {
      throw new RangeError(truncationOrderMessage(a, b, i));
    }
    s.reset(i);
    if (a === b) out[i] = a;
    else if (a >= 0) out[i] = upperTail(s, a, b);
    else if (b <= 0) out[i] = -upperTail(s, -b, -a);
    else out[i] = straddle(s, a, b);
  }
  return out;
}
