/**
 * Bernoulli and categorical samplers.
 *
 * @module
 */
import type { Key } from "./key.js";
import { logitMessage, logitRowMessage, PROBABILITY } from "./param-rules.js";
import { pexp } from "./portable-math.js";
import { at, checkCount, checkParam, ElementStream, type Param } from "./stream.js";

/**
 * `n` Bernoulli draws (0 or 1, as float64).
 *
 * Algorithm: element `i` is 1 when the uniform from draw 0 of its counter stream
 * (see {@link uniform}) is below `probs[i]`; so probs 0 and 1 give exactly 0 and 1.
 *
 * @param k - the key
 * @param n - number of draws
 * @param probs - success probability(ies) in [0, 1]
 *
 * @example
 * ```ts
 * bernoulli(key(0), 5, 0.3); // Float64Array of 0s and 1s
 * ```
 */
export function bernoulli(k: Key, n: number, probs: Param): Float64Array {
  checkCount("bernoulli", n);
  checkParam("bernoulli", "probs", probs, n, PROBABILITY.ok, PROBABILITY.want);
  const s = new ElementStream(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = s.reset(i).uniform() < at(probs, i) ? 1 : 0;
  return out;
}

/**
 * `n` categorical draws (category indices in [0, K)).
 *
 * Algorithm: inversion of the cumulative distribution (e.g. Devroye 1986, ch. III.2):
 * the softmax weights exp(logits - max) are accumulated and the first category whose
 * running sum exceeds u times the total is returned, with u the uniform from draw 0 of
 * the element's counter stream. With shared logits the cumulative sums are computed
 * once and searched by bisection. Categories with logit -Infinity are never drawn.
 *
 * @param k - the key
 * @param n - number of draws
 * @param logits - K unnormalized log-probabilities shared by all draws, or an `n * K`
 *   row-major array with one row per draw (then pass `K`); entries finite or -Infinity,
 *   at least one finite per row
 * @param K - number of categories (default `logits.length`)
 *
 * @example
 * ```ts
 * categorical(key(0), 4, [0, Math.log(3)]); // Int32Array, index 1 three times as often as 0
 * ```
 */
export function categorical(k: Key, n: number, logits: ArrayLike<number>, K = logits.length): Int32Array {
  checkCount("categorical", n);
  if (!Number.isInteger(K) || K < 1)
    throw new RangeError(`categorical: K must be a positive integer, got ${K}`);
  const perRow = logits.length !== K;
  if (perRow && logits.length !== n * K) {
    throw new RangeError(
      `categorical: logits has length ${logits.length}; expected K = ${K} or n * K = ${n * K}`,
    );
  }
  const rows = perRow ? n : 1;
  const cum = new Float64Array(rows * K);
  const last = new Int32Array(rows); // last category with positive weight
  for (let r = 0; r < rows; r++) {
    const o = r * K;
    let mx = -Infinity;
    for (let j = 0; j < K; j++) {
      const l = logits[o + j]!;
      if (Number.isNaN(l) || l === Infinity) {
        throw new RangeError(logitMessage(o + j, l));
      }
      if (l > mx) mx = l;
    }
    if (mx === -Infinity) throw new RangeError(logitRowMessage(r));
    let acc = 0;
    for (let j = 0; j < K; j++) {
      const w = pexp(logits[o + j]! - mx);
      if (w > 0) last[r] = j;
      acc += w;
      cum[o + j] = acc;
    }
  }
  const s = new ElementStream(k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = perRow ? i : 0;
    const o = r * K;
    const t = s.reset(i).uniform() * cum[o + K - 1]!;
    let lo = 0;
    let hi = K - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[o + mid]! > t) hi = mid;
      else lo = mid + 1;
    }
    out[i] = Math.min(lo, last[r]!);
  }
  return out;
}
