/**
 * Random permutations and sampling without replacement.
 *
 * @module
 */
import { foldIn, type Key } from "./key.js";
import { ElementStream } from "./stream.js";
import { threefry2x32Into } from "./threefry.js";

/**
 * Orders `values` by independent 64-bit random sort keys: entry `j` gets the Threefry
 * block of counter `(0, j)` under `k`, ties (probability ~ len^2 / 2^65) broken by `j`.
 */
function shuffleBySortKeys(k: Key, values: Int32Array): Int32Array {
  const m = values.length;
  const w0 = new Uint32Array(m);
  const w1 = new Uint32Array(m);
  const buf = new Uint32Array(2);
  for (let j = 0; j < m; j++) {
    threefry2x32Into(k.hi, k.lo, 0, j, buf, 0);
    w0[j] = buf[0]!;
    w1[j] = buf[1]!;
  }
  const order = new Int32Array(m);
  for (let j = 0; j < m; j++) order[j] = j;
  order.sort((x, y) => w0[x]! - w0[y]! || w1[x]! - w1[y]! || x - y);
  const out = new Int32Array(m);
  for (let j = 0; j < m; j++) out[j] = values[order[j]!]!;
  return out;
}

function checkSize(fn: string, name: string, x: number): void {
  if (!Number.isInteger(x) || x < 0 || x > 2147483647) {
    throw new RangeError(`${fn}: ${name} must be an integer in [0, 2^31), got ${x}`);
  }
}

/**
 * A uniformly random permutation of 0, 1, ..., n-1.
 *
 * Algorithm: sort by random keys (each index gets the 64 Threefry bits of its counter
 * `(0, i)` as an independent sort key; equal keys are broken by index). This is the
 * data-parallel shuffle a GPU can run as one sort; cost O(n log n), memory O(n).
 *
 * @param k - the key
 * @param n - length, an integer in [0, 2^31)
 *
 * @example
 * ```ts
 * permutation(key(0), 5); // Int32Array holding 0..4 in random order
 * ```
 */
export function permutation(k: Key, n: number): Int32Array {
  checkSize("permutation", "n", n);
  const id = new Int32Array(n);
  for (let i = 0; i < n; i++) id[i] = i;
  return shuffleBySortKeys(k, id);
}

/**
 * `count` distinct indices drawn uniformly without replacement from
 * 0, ..., populationSize-1, in uniformly random order (the subsample indices of a plate).
 *
 * Algorithm: R. W. Floyd's subset sampler (J. Bentley and B. Floyd, "Programming
 * pearls: a sample of brilliance", CACM 30(9), 1987): for j = N-k, ..., N-1 draw t
 * uniformly from [0, j] and take t, or j if t was already taken; step s uses the
 * counter stream of element s under `foldIn(k, 0)`, with exact (rejection-based)
 * uniform integers. The chosen set is then put in random order by sorting on random
 * keys from `foldIn(k, 1)`. Time O(k log k) and memory O(k), independent of N.
 *
 * @param k - the key
 * @param populationSize - N, an integer in [0, 2^31)
 * @param count - k, an integer in [0, N]
 *
 * @example
 * ```ts
 * choice(key(0), 1_000_000, 512); // Int32Array of 512 distinct indices
 * ```
 */
export function choice(k: Key, populationSize: number, count: number): Int32Array {
  checkSize("choice", "populationSize", populationSize);
  checkSize("choice", "count", count);
  if (count > populationSize) {
    throw new RangeError(
      `choice: cannot draw count = ${count} without replacement from populationSize = ${populationSize}`,
    );
  }
  const s = new ElementStream(foldIn(k, 0));
  const picked = new Int32Array(count);
  const useBitmap = populationSize <= 64 * count;
  const bitmap = useBitmap ? new Uint8Array(populationSize) : null;
  const set = useBitmap ? null : new Set<number>();
  const N = populationSize;
  for (let step = 0; step < count; step++) {
    const j = N - count + step;
    let t = s.reset(step).below(j + 1);
    if (bitmap) {
      if (bitmap[t]) t = j;
      bitmap[t] = 1;
    } else {
      if (set!.has(t)) t = j;
      set!.add(t);
    }
    picked[step] = t;
  }
  return shuffleBySortKeys(foldIn(k, 1), picked);
}
