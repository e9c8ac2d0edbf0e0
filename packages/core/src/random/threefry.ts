/**
 * Threefry-2x32 with 20 rounds: the counter-based block cipher of Salmon, Moraes,
 * Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC 2011, the
 * Random123 paper). It maps a 64-bit key and a 64-bit counter, each held as two
 * uint32 words, to 64 pseudo-random bits. It is the bit source of every sampler in
 * this folder, and uses only 32-bit addition, rotation and xor, so a WGSL port
 * (which interpolates {@link THREEFRY_ROTATIONS} and {@link THREEFRY_PARITY}) gives
 * the same bits.
 *
 * @module
 */

/**
 * The eight rotation distances of Threefry-2x32, applied in turn, one per round
 * (round r uses entry r mod 8), as given in the Random123 paper.
 */
export const THREEFRY_ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24] as const;

/** The key-schedule parity constant of Threefish/Threefry for 32-bit words (0x1BD11BDA). */
export const THREEFRY_PARITY = 0x1bd11bda;

/** Number of rounds used by {@link threefry2x32} (the Random123 and JAX default). */
export const THREEFRY_ROUNDS = 20;

/**
 * Encrypts one counter block with Threefry-2x32-20 and writes the two output words
 * into `out[offset]` and `out[offset + 1]`.
 *
 * Every argument is a uint32 (any number is reduced mod 2^32 by `>>> 0`).
 *
 * @param k0 - first key word (the `hi` word of a {@link Key})
 * @param k1 - second key word (the `lo` word of a {@link Key})
 * @param c0 - first counter word
 * @param c1 - second counter word
 * @param out - destination for the two output words
 * @param offset - index of the first output word in `out`
 *
 * @example
 * ```ts
 * const out = new Uint32Array(2);
 * threefry2x32Into(0, 0, 0, 0, out, 0);
 * // out = [0x6b200159, 0x99ba4efe]  (Random123 known-answer vector)
 * ```
 */
export function threefry2x32Into(
  k0: number,
  k1: number,
  c0: number,
  c1: number,
  out: { [i: number]: number },
  offset = 0,
): void {
  k0 >>>= 0;
  k1 >>>= 0;
  const k2 = (THREEFRY_PARITY ^ k0 ^ k1) >>> 0;
  const ks0 = k0;
  const ks1 = k1;
  let x0 = (c0 + k0) >>> 0;
  let x1 = (c1 + k1) >>> 0;
  // Five groups of four rounds, each followed by a key injection (s = 1..5).
  for (let s = 1; s <= 5; s++) {
    const base = ((s - 1) & 1) * 4; // groups alternate rotations 0-3 and 4-7
    for (let j = 0; j < 4; j++) {
      const r = THREEFRY_ROTATIONS[base + j]!;
      x0 = (x0 + x1) >>> 0;
      x1 = ((x1 << r) | (x1 >>> (32 - r))) >>> 0;
      x1 = (x1 ^ x0) >>> 0;
    }
    const m = s % 3;
    const a = m === 0 ? ks0 : m === 1 ? ks1 : k2;
    const b = m === 0 ? ks1 : m === 1 ? k2 : ks0;
    x0 = (x0 + a) >>> 0;
    x1 = (x1 + b + s) >>> 0;
  }
  out[offset] = x0;
  out[offset + 1] = x1;
}

const scratch = new Uint32Array(2);

/**
 * Threefry-2x32-20 of one counter block, returned as a fresh pair `[y0, y1]` of uint32.
 *
 * @param key - the two key words `[k0, k1]`
 * @param counter - the two counter words `[c0, c1]`
 * @returns the two output words
 *
 * @example
 * ```ts
 * threefry2x32([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3]);
 * // [0xc4923a9c, 0x483df7a0]  (Random123 known-answer vector, digits of pi)
 * ```
 */
export function threefry2x32(
  key: readonly [number, number],
  counter: readonly [number, number],
): [number, number] {
  threefry2x32Into(key[0], key[1], counter[0], counter[1], scratch, 0);
  return [scratch[0]!, scratch[1]!];
}
