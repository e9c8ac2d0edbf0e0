/**
 * Gamma, beta and Dirichlet samplers.
 *
 * @module
 */
import type { Key } from "./key.js";
import { POSITIVE_FINITE } from "./param-rules.js";
import { pexp, plog } from "./portable-math.js";
import { at, checkCount, checkParam, ElementStream, type Param } from "./stream.js";

/**
 * A Gamma(a, 1) draw for a >= 1 by Marsaglia and Tsang's method (G. Marsaglia and
 * W. W. Tsang, "A simple method for generating gamma variables", ACM TOMS 26(3), 2000):
 * with d = a - 1/3 and c = 1 / sqrt(9 d), propose v = (1 + c z)^3 from a standard
 * normal z and accept d v when a uniform u passes the squeeze u < 1 - 0.0331 z^4 or
 * the exact test ln u < z^2 / 2 + d (1 - v + ln v). Each attempt uses three draws of
 * the element's stream (two for z, one for u).
 */
export function marsagliaTsang(s: ElementStream, a: number): number {
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = s.normal();
    const t = 1 + c * z;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = s.uniform();
    const z2 = z * z;
    if (u < 1 - 0.0331 * z2 * z2) return d * v;
    if (plog(u) < 0.5 * z2 + d * (1 - v + plog(v))) return d * v;
  }
}

/**
 * The logarithm of a Gamma(a, 1) draw, for any a > 0, consuming element `s`'s stream
 * from its current position. For a < 1 it uses the boost of Marsaglia and Tsang (2000,
 * section 6): if y ~ Gamma(a + 1) and u ~ U(0, 1) then y u^(1/a) ~ Gamma(a); the
 * boost uniform is the element's first draw, and the result is formed as
 * ln y + ln(u) / a so that tiny concentrations do not underflow.
 */
export function logGammaDraw(s: ElementStream, a: number): number {
  if (a >= 1) return plog(marsagliaTsang(s, a));
  const u = s.uniform();
  return plog(marsagliaTsang(s, a + 1)) + plog(u) / a;
}

/** A Gamma(a, 1) draw (see {@link logGammaDraw}). */
export function gammaDraw(s: ElementStream, a: number): number {
  if (a >= 1) return marsagliaTsang(s, a);
  const u = s.uniform();
  return marsagliaTsang(s, a + 1) * pexp(plog(u) / a);
}

/**
 * `n` draws from Gamma(concentration, rate) (mean concentration / rate).
 *
 * Algorithm: Marsaglia and Tsang's squeeze-and-reject method (ACM TOMS 2000) on a
 * Box–Muller normal and a uniform, with their boost `Gamma(a) = Gamma(a + 1) U^(1/a)`
 * for a < 1. Element `i` consumes its own counter stream `(m, i)`, m = 0, 1, ...,
 * so the result does not depend on `n` or on evaluation order. For concentrations
 * below ~1e-3 many draws underflow to 0, as the exact distribution does in float64;
 * {@link beta} and {@link dirichlet} work in log space and do not suffer from this.
 *
 * @param k - the key
 * @param n - number of draws
 * @param concentration - shape(s) > 0
 * @param rate - rate(s) > 0, default 1
 *
 * @example
 * ```ts
 * const x = gamma(key(0), 1000, 2.5); // Float64Array(1000), mean ~ 2.5
 * ```
 */
export function gamma(k: Key, n: number, concentration: Param, rate: Param = 1): Float64Array {
  checkCount("gamma", n);
  checkParam("gamma", "concentration", concentration, n, POSITIVE_FINITE.ok, POSITIVE_FINITE.want);
  checkParam("gamma", "rate", rate, n, POSITIVE_FINITE.ok, POSITIVE_FINITE.want);
  const s = new ElementStream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = gammaDraw(s.reset(i), at(concentration, i)) / at(rate, i);
  return out;
}

/**
 * `n` draws from Beta(a, b) on (0, 1).
 *
 * Algorithm: x = G_a / (G_a + G_b) for independent unit gammas, computed in log space
 * as 1 / (1 + exp(ln G_b - ln G_a)) so that tiny concentrations (e.g. 1e-3, where the
 * gammas underflow) still give correct draws near 0 and 1. Element `i`'s two gammas use
 * the counter streams of elements `2i` and `2i + 1` (as a two-component
 * {@link dirichlet}). May return exactly 0 or 1 when the draw is closer than float64
 * can represent.
 *
 * @param k - the key
 * @param n - number of draws
 * @param a - first concentration(s) > 0 (NumPyro's `concentration1`)
 * @param b - second concentration(s) > 0 (NumPyro's `concentration0`)
 *
 * @example
 * ```ts
 * const x = beta(key(0), 1000, 2, 3); // mean ~ 0.4
 * ```
 */
export function beta(k: Key, n: number, a: Param, b: Param): Float64Array {
  checkCount("beta", n);
  if (2 * n > 4294967296)
    throw new RangeError(`beta: n must be at most 2^31 (two streams per draw), got ${n}`);
  checkParam("beta", "a", a, n, POSITIVE_FINITE.ok, POSITIVE_FINITE.want);
  checkParam("beta", "b", b, n, POSITIVE_FINITE.ok, POSITIVE_FINITE.want);
  const s = new ElementStream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const la = logGammaDraw(s.reset(2 * i), at(a, i));
    const lb = logGammaDraw(s.reset(2 * i + 1), at(b, i));
    out[i] = 1 / (1 + pexp(lb - la));
  }
  return out;
}

/**
 * `n` draws from Dirichlet(alpha), returned row-major as an `n * K` array
 * (`out[i * K + j]` is component `j` of draw `i`, K = alpha.length).
 *
 * Algorithm: normalized independent unit gammas (the standard construction, e.g.
 * Devroye, "Non-Uniform Random Variate Generation", 1986, ch. XI), normalized in log
 * space (log-sum-exp) so that small concentrations do not underflow to 0/0. Component
 * `j` of draw `i` uses the counter stream of element `i * K + j`.
 *
 * @param k - the key
 * @param n - number of draws
 * @param alpha - the K >= 1 concentrations, each > 0, shared by all draws, or an
 *   `n * K` row-major array of per-draw concentrations (then pass `K` explicitly)
 * @param K - number of components (default `alpha.length`)
 *
 * @example
 * ```ts
 * const x = dirichlet(key(0), 10, [1, 2, 3]); // Float64Array(30), rows sum to 1
 * ```
 */
export function dirichlet(k: Key, n: number, alpha: ArrayLike<number>, K = alpha.length): Float64Array {
  checkCount("dirichlet", n);
  if (!Number.isInteger(K) || K < 1)
    throw new RangeError(`dirichlet: K must be a positive integer, got ${K}`);
  if (n * K > 4294967296) throw new RangeError(`dirichlet: n * K must be at most 2^32, got ${n * K}`);
  const perRow = alpha.length !== K;
  if (perRow && alpha.length !== n * K) {
    throw new RangeError(
      `dirichlet: alpha has length ${alpha.length}; expected K = ${K} or n * K = ${n * K}`,
    );
  }
  for (let j = 0; j < alpha.length; j++) {
    if (!POSITIVE_FINITE.ok(alpha[j]!))
      throw new RangeError(`dirichlet: alpha[${j}] must be positive and finite, got ${alpha[j]}`);
  }
  const s = new ElementStream(k);
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const row = i * K;
    let mx = -Infinity;
    for (let j = 0; j < K; j++) {
      const l = logGammaDraw(s.reset(row + j), alpha[perRow ? row + j : j]!);
      out[row + j] = l;
      if (l > mx) mx = l;
    }
    let sum = 0;
    for (let j = 0; j < K; j++) {
      const e = pexp(out[row + j]! - mx);
      out[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < K; j++) out[row + j] = out[row + j]! / sum;
  }
  return out;
}
