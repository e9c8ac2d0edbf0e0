/**
 * Poisson sampler.
 *
 * @module
 */
import { lgamma } from "../special/scalar/index.js";
import type { Key } from "./key.js";
import { FINITE_NON_NEGATIVE } from "./param-rules.js";
import { pexp, plog } from "./portable-math.js";
import { at, checkCount, checkParam, ElementStream, type Param } from "./stream.js";

/** Rates below this use inversion, at or above it transformed rejection. */
export const POISSON_PTRS_THRESHOLD = 10;

/**
 * Poisson(mu) by sequential-search inversion (Devroye 1986, ch. X.3): one uniform u,
 * return the least k with F(k) >= u, building the pmf by p(k) = p(k-1) mu / k. Used for
 * mu < 10, where it needs about mu + 1 steps.
 */
function poissonInversion(s: ElementStream, mu: number): number {
  const u = s.uniform();
  let p = pexp(-mu);
  let cdf = p;
  let k = 0;
  while (u > cdf) {
    k++;
    p *= mu / k;
    const next = cdf + p;
    if (next === cdf) break; // the remaining mass is below float64 resolution
    cdf = next;
  }
  return k;
}

/**
 * Poisson(mu) for mu >= 10 by W. Hörmann's PTRS, "The transformed rejection method for
 * generating Poisson random variables", Insurance: Mathematics and Economics 12 (1993):
 * a transformed-rejection proposal k = floor((2a / us + b) U + mu + 0.43) from two
 * uniforms, an inner squeeze that accepts most proposals without a logarithm, and an
 * exact log-pmf test (with lgamma) for the rest. About 1.15 attempts (2.3 draws) per
 * sample, uniformly in mu.
 */
function poissonPtrs(s: ElementStream, mu: number): number {
  const logMu = plog(mu);
  const smu = Math.sqrt(mu);
  const b = 0.931 + 2.53 * smu;
  const a = -0.059 + 0.02483 * b;
  const logInvAlpha = plog(1.1239 + 1.1328 / (b - 3.4));
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = s.uniform() - 0.5;
    const V = s.uniform();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor(((2 * a) / us + b) * U + mu + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (plog(V) + logInvAlpha - plog(a / (us * us) + b) <= -mu + k * logMu - lgamma(k + 1)) {
      return k;
    }
  }
}

/**
 * `n` Poisson draws (non-negative integers, as float64).
 *
 * Algorithm: inversion by sequential search for rates below 10, and Hörmann's
 * transformed rejection with squeeze (PTRS, 1993) for rates of 10 and more; both are
 * exact (up to float64 rounding), and the cost per draw is bounded uniformly in the rate.
 * Element `i` consumes its own counter stream `(m, i)`. Tested up to rate 1e8; for much
 * larger rates the float64 arithmetic of the rejection test loses accuracy.
 *
 * @param k - the key
 * @param n - number of draws
 * @param rate - rate(s), finite and >= 0 (rate 0 gives 0)
 *
 * @example
 * ```ts
 * poisson(key(0), 1000, 3.5); // mean ~ 3.5
 * ```
 */
export function poisson(k: Key, n: number, rate: Param): Float64Array {
  checkCount("poisson", n);
  checkParam("poisson", "rate", rate, n, FINITE_NON_NEGATIVE.ok, FINITE_NON_NEGATIVE.want);
  const s = new ElementStream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mu = at(rate, i);
    s.reset(i);
    out[i] = mu < POISSON_PTRS_THRESHOLD ? poissonInversion(s, mu) : poissonPtrs(s, mu);
  }
  return out;
}
