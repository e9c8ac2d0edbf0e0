/**
 * Splittable, counter-based random keys (JAX's `threefry2x32` key semantics).
 *
 * @module
 */
import { threefry2x32Into } from "./threefry.js";

/**
 * A random key: two uint32 words, immutable (the object is frozen).
 *
 * `hi` and `lo` are JAX's key data `[k0, k1]` in that order, and are the two
 * Threefry key words. A key is a value, not a generator: the same key always gives
 * the same bits. Derive new keys with {@link split} or {@link foldIn}, and do not use
 * a key again after splitting it (child `i` of `split(k)` shares its bits with
 * element `i` of `randomBits(k, n)`, exactly as in JAX).
 */
export interface Key {
  /** First key word, uint32 (JAX `key_data(k)[0]`). */
  readonly hi: number;
  /** Second key word, uint32 (JAX `key_data(k)[1]`). */
  readonly lo: number;
}

const TWO32 = 4294967296;

function checkWord(x: number, name: string): void {
  if (!Number.isInteger(x) || x < 0 || x >= TWO32) {
    throw new RangeError(`${name}: expected a uint32 integer in [0, 2^32), got ${x}`);
  }
}

/**
 * Builds a key from its two uint32 words (the inverse of {@link keyData}).
 *
 * @param hi - first word, integer in [0, 2^32)
 * @param lo - second word, integer in [0, 2^32)
 *
 * @example
 * ```ts
 * keyFromData(0, 42); // same as key(42)
 * ```
 */
export function keyFromData(hi: number, lo: number): Key {
  checkWord(hi, "keyFromData(hi)");
  checkWord(lo, "keyFromData(lo)");
  return Object.freeze({ hi, lo });
}

/**
 * The two words of a key as `[hi, lo]` (JAX's `random.key_data`).
 *
 * @example
 * ```ts
 * keyData(key(7)); // [0, 7]
 * ```
 */
export function keyData(k: Key): [number, number] {
  return [k.hi, k.lo];
}

/**
 * The key for an integer seed, as JAX's `PRNGKey(seed)` / `random.key(seed)`:
 * the seed is read as a 64-bit two's-complement integer and split into
 * `hi = seed >> 32` and `lo = seed & 0xffffffff`. So `key(s) = {hi: 0, lo: s}` for
 * `0 <= s < 2^32`, and `key(-1) = {hi: 0xffffffff, lo: 0xffffffff}` (JAX with
 * `jax_enable_x64`; 32-bit JAX truncates seeds to int32 first and would give
 * `{hi: 0, lo: 0xffffffff}`).
 *
 * @param seed - a safe integer (|seed| <= 2^53 - 1)
 * @throws RangeError for a non-integer or unsafe seed
 *
 * @example
 * ```ts
 * keyData(key(0)); // [0, 0]
 * ```
 */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`key(seed): expected a safe integer seed, got ${seed}`);
  }
  const lo = ((seed % TWO32) + TWO32) % TWO32;
  const hiSigned = (seed - lo) / TWO32; // exact: seed - lo is a multiple of 2^32
  const hi = ((hiSigned % TWO32) + TWO32) % TWO32;
  return Object.freeze({ hi, lo });
}

const block = new Uint32Array(2);

/**
 * Told of every key {@link split} and {@link foldIn} derive: `child` is Threefry-2x32 of the
 * counter `(c0, c1)` under `parent`. jit's keyed programs (jit/keyed-program.ts) install one
 * while recording, to learn how each draw's key derives from the program's key input.
 */
export type KeyDerivationObserver = (child: Key, parent: Key, c0: number, c1: number) => void;

let derivationObserver: KeyDerivationObserver | null = null;

/** Install `observer` (null: none); returns the one it replaces, to be restored. @internal */
export function observeKeyDerivations(observer: KeyDerivationObserver | null): KeyDerivationObserver | null {
  const previous = derivationObserver;
  derivationObserver = observer;
  return previous;
}

/** The key Threefry-2x32 of the counter `(c0, c1)` under `k` makes (what split and foldIn compute). */
export function deriveKey(k: Key, c0: number, c1: number): Key {
  threefry2x32Into(k.hi, k.lo, c0, c1, block, 0);
  return Object.freeze({ hi: block[0]!, lo: block[1]! });
}

/**
 * Splits a key into `n` new, independent keys, as JAX's `random.split` with
 * `jax_threefry_partitionable=True` (the default since JAX 0.5): child `i` is
 * Threefry-2x32 of the counter `(0, i)` under the parent key, so
 * `split(k, n)[i]` equals `foldIn(k, i)`.
 *
 * @param k - parent key (do not use it again afterwards)
 * @param n - number of children, a non-negative integer below 2^32 (default 2)
 *
 * @example
 * ```ts
 * const [k1, k2] = split(key(0));
 * keyData(k1); // [1797259609, 2579123966]
 * ```
 */
export function split(k: Key, n = 2): Key[] {
  if (!Number.isInteger(n) || n < 0 || n >= TWO32) {
    throw new RangeError(`split(key, n): n must be an integer in [0, 2^32), got ${n}`);
  }
  const out: Key[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = deriveKey(k, 0, i);
    derivationObserver?.(out[i]!, k, 0, i);
  }
  return out;
}

/**
 * Splits a key as JAX did before 0.5 (`jax_threefry_partitionable=False`): the
 * counters `0, 1, ..., 2n-1` are encrypted in pairs `(j, n + j)`, the two output
 * halves are concatenated and read as `n` rows of two words. Provided for
 * reproducing older JAX results; prefer {@link split}.
 *
 * @example
 * ```ts
 * splitLegacy(key(0)).map(keyData); // [[4146024105, 967050713], [2718843009, 1272950319]]
 * ```
 */
export function splitLegacy(k: Key, n = 2): Key[] {
  if (!Number.isInteger(n) || n < 0 || 2 * n >= TWO32) {
    throw new RangeError(`splitLegacy(key, n): n must be an integer in [0, 2^31), got ${n}`);
  }
  const flat = new Uint32Array(2 * n);
  for (let j = 0; j < n; j++) {
    threefry2x32Into(k.hi, k.lo, j, n + j, block, 0);
    flat[j] = block[0]!;
    flat[n + j] = block[1]!;
  }
  const out: Key[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Object.freeze({ hi: flat[2 * i]!, lo: flat[2 * i + 1]! });
  return out;
}

/**
 * Derives a new key from a key and an integer, as JAX's `random.fold_in`:
 * Threefry-2x32 of the counter `(0, data mod 2^32)` under `k`.
 *
 * Integers in [-2^31, 2^32) are reduced mod 2^32 like JAX's `uint32(data)` (so
 * `-1` and `2^32 - 1` give the same key); integers in [2^32, 2^53) use the counter
 * `(data >> 32, data & 0xffffffff)`, an extension JAX does not have. The map is
 * injective on [0, 2^53) for a fixed key (Threefry is a bijection of the counter).
 *
 * @param k - the key
 * @param data - a safe integer in [-2^31, 2^53)
 *
 * @example
 * ```ts
 * foldIn(key(0), 1); // equals split(key(0), 2)[1]
 * ```
 */
export function foldIn(k: Key, data: number): Key {
  if (!Number.isSafeInteger(data) || data < -2147483648) {
    throw new RangeError(`foldIn(key, data): data must be a safe integer >= -2^31, got ${data}`);
  }
  const c0 = data >= TWO32 ? Math.floor(data / TWO32) : 0;
  const c1 = data >= TWO32 ? data - c0 * TWO32 : data >>> 0;
  const child = deriveKey(k, c0, c1);
  derivationObserver?.(child, k, c0, c1);
  return child;
}

/**
 * `n` random uint32 words, as JAX's `random.bits(k, (n,), uint32)` with
 * `jax_threefry_partitionable=True`: word `i` is the xor of the two Threefry-2x32
 * output words for the counter `(0, i)`.
 *
 * @param k - the key
 * @param n - number of words, a non-negative integer
 *
 * @example
 * ```ts
 * randomBits(key(0), 4); // Uint32Array of length 4
 * ```
 */
export function randomBits(k: Key, n: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`randomBits(key, n): n must be a non-negative integer, got ${n}`);
  }
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    threefry2x32Into(k.hi, k.lo, 0, i, block, 0);
    out[i] = (block[0]! ^ block[1]!) >>> 0;
  }
  return out;
}
