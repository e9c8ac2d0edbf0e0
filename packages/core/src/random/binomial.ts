/**
 * Binomial sampler.
 *
 * @module
 */
import { lgamma } from "../special/scalar/index.js";
import type { Key } from "./key.js";
import { COUNT, PROBABILITY } from "./param-rules.js";
import { pexp, plog, plog1p } from "./portable-math.js";
import { at, checkCount, checkParam, ElementStream, type Param } from "./stream.js";

/** Mean n * min(p, 1 - p) below which inversion is used, at or above it BTRS. */
export const BINOMIAL_BTRS_THRESHOLD = 10;

/**
 * Binomial(n, p), p <= 1/2, by sequential-search inversion (Devroye 1986, ch. X.4):
 * starting from P(0) = (1 - p)^n and the recurrence P(x) = P(x-1) ((n+1)/x - 1) p/(1-p),
 * subtract probabilities from one uniform until it is used up. Used when n p < 10.
 */
function binomialInversion(s: ElementStream, n: number, p: number): number {
  const q = 1 - p;
  const odds = p / q;
  const a = (n + 1) * odds;
  let r = pexp(n * plog1p(-p));
  let u = s.uniform();
  let x = 0;
  while (u > r) {
    u -= r;
    x++;
    if (x >= n) return n;
    r *= a / x - odds;
    if (r <= 0) break;
  }
  return x;
}

/**
 * Binomial(n, p), p <= 1/2, n p >= 10, by W. Hörmann's BTRS, "The generation of
 * binomial random variables", J. Statist. Comput. Simul. 46 (1993): transformed
 * rejection k = floor((2a / us + b) U + c) from two uniforms, a squeeze, and an exact
 * log-pmf test using lgamma.
 */
function binomialBtrs(s: ElementStream, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const logAlpha = plog((2.83 + 5.1 / b) * spq);
  const lpq = plog(p / q);
  const m = Math.floor((n + 1) * p);
  const h = lgamma(m + 1) + lgamma(n - m + 1);
  for (;;) {
    const U = s.uniform() - 0.5;
    const V = s.uniform();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor(((2 * a) / us + b) * U + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && V <= vr) return k;
    const lhs = plog(V) + logAlpha - plog(a / (us * us) + b);
    if (lhs <= h - lgamma(k + 1) - lgamma(n - k + 1) + (k - m) * lpq) return k;
  }
}

/**
 * `n` binomial draws (integers in [0, totalCount], as float64).
 *
 * Algorithm: for p > 1/2 the draw is totalCount minus a draw with 1 - p. Then inversion
 * by sequential search when totalCount * p < 10, and Hörmann's transformed rejection
 * with squeeze (BTRS, 1993) otherwise; both exact up to float64 rounding, with cost
 * bounded uniformly in totalCount. Element `i` consumes its own counter stream `(m, i)`.
 *
 * @param k - the key
 * @param n - number of draws
 * @param totalCount - number(s) of trials, non-negative integers below 2^53
 * @param probs - success probability(ies) in [0, 1]
 *
 * @example
 * ```ts
 * binomial(key(0), 1000, 20, 0.3); // mean ~ 6
 * ```
 */
export function binomial(k: Key, n: number, totalCount: Param, probs: Param): Float64Array {
  checkCount("binomial", n);
  checkParam("binomial", "totalCount", totalCount, n, COUNT.ok, COUNT.want);
  checkParam("binomial", "probs", probs, n, PROBABILITY.ok, PROBABILITY.want);
  const s = new ElementStream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const N = at(totalCount, i);
    const p = at(probs, i);
    s.reset(i);
    const flip = p > 0.5;
    const pp = flip ? 1 - p : p;
    let x: number;
    if (N === 0 || pp === 0) x = 0;
    else if (N * pp < BINOMIAL_BTRS_THRESHOLD) x = binomialInversion(s, N, pp);
    else x = binomialBtrs(s, N, pp);
    out[i] = flip ? N - x : x;
  }
  return out;
}
