/**
 * Uniform and standard normal samplers.
 *
 * @module
 */
import type { Key } from "./key.js";
import { FINITE, POSITIVE_FINITE, uniformOrderMessage } from "./param-rules.js";
import { at, checkCount, checkParam, ElementStream, type Param } from "./stream.js";

/**
 * `n` uniform draws on the open interval (low, high).
 *
 * Element `i` uses draw 0 of its counter stream (counter `(0, i)`): the top 52 of the
 * 64 Threefry bits give `u = (j + 0.5) / 2^52` in (0, 1) (never 0 or 1), and the result
 * is `low + (high - low) * u`.
 *
 * @param k - the key
 * @param n - number of draws
 * @param low - lower bound(s), finite (scalar or one per element), default 0
 * @param high - upper bound(s), finite and > low, default 1
 *
 * @example
 * ```ts
 * const u = uniform(key(0), 1000, -1, 3); // Float64Array(1000) in (-1, 3)
 * ```
 */
export function uniform(k: Key, n: number, low: Param = 0, high: Param = 1): Float64Array {
  checkCount("uniform", n);
  checkParam("uniform", "low", low, n, FINITE.ok, FINITE.want);
  checkParam("uniform", "high", high, n, FINITE.ok, FINITE.want);
  const s = new ElementStream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lo = at(low, i);
    const hi = at(high, i);
    if (!(hi > lo)) throw new RangeError(uniformOrderMessage(lo, hi, i));
    out[i] = lo + (hi - lo) * s.reset(i).uniform();
  }
  return out;
}

/**
 * `n` standard normal draws.
 *
 * Algorithm: the Box–Muller transform (G. E. P. Box and M. E. Muller, "A note on the
 * generation of random normal deviates", Ann. Math. Statist. 1958), cosine branch
 * only, from draws 0 and 1 of element `i`'s counter stream, so each element is
 * independent of every other. Tails reach |z| ~ 8.57 (from 52-bit uniforms).
 *
 * @param k - the key
 * @param n - number of draws
 * @param loc - mean(s), default 0
 * @param scale - standard deviation(s) > 0, default 1
 *
 * @example
 * ```ts
 * const z = normal(key(1), 1000); // Float64Array(1000)
 * ```
 */
export function normal(k: Key, n: number, loc: Param = 0, scale: Param = 1): Float64Array {
  checkCount("normal", n);
  checkParam("normal", "loc", loc, n, FINITE.ok, FINITE.want);
  checkParam("normal", "scale", scale, n, POSITIVE_FINITE.ok, POSITIVE_FINITE.want);
  const s = new ElementStream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = at(loc, i) + at(scale, i) * s.reset(i).normal();
  return out;
}
