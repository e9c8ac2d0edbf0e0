import {
  foldIn,
  key,
  keyData,
  keyFromData,
  randomBits,
  split,
  splitLegacy,
} from "@scribe/core/random/key.js";
import { THREEFRY_ROTATIONS, threefry2x32 } from "@scribe/core/random/threefry.js";
import { uniform } from "@scribe/core/random/uniform-normal.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("threefry2x32 (20 rounds)", () => {
  // Known-answer vectors from Random123 1.x, file examples/kat_vectors
  // (lines "threefry2x32 20 <ctr0> <ctr1> <key0> <key1> <out0> <out1>"), as published
  // with Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011.
  const kat: Array<[number, number, number, number, number, number]> = [
    [0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6b200159, 0x99ba4efe],
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7],
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xc4923a9c, 0x483df7a0],
  ];
  it.each(kat)("ctr (%i, %i) key (%i, %i)", (c0, c1, k0, k1, y0, y1) => {
    expect(threefry2x32([k0, k1], [c0, c1])).toEqual([y0, y1]);
  });
  it("exports the standard rotation constants", () => {
    expect([...THREEFRY_ROTATIONS]).toEqual([13, 15, 26, 6, 17, 29, 16, 24]);
  });
});

describe("keys", () => {
  it("key(seed) follows JAX PRNGKey: [0, seed] and 64-bit two's complement hi/lo", () => {
    expect(keyData(key(0))).toEqual([0, 0]);
    expect(keyData(key(42))).toEqual([0, 42]);
    expect(keyData(key(2 ** 32 - 1))).toEqual([0, 2 ** 32 - 1]);
    expect(keyData(key(2 ** 32 + 5))).toEqual([1, 5]);
    expect(keyData(key(2 ** 53 - 1))).toEqual([2 ** 21 - 1, 2 ** 32 - 1]);
    expect(keyData(key(-1))).toEqual([2 ** 32 - 1, 2 ** 32 - 1]);
    expect(keyData(key(-(2 ** 32)))).toEqual([2 ** 32 - 1, 0]);
    expect(() => key(0.5)).toThrow(RangeError);
    expect(() => key(2 ** 53)).toThrow(RangeError);
    expect(Object.isFrozen(key(3))).toBe(true);
  });

  it("splitLegacy(key(0)) equals the value in the JAX documentation (pre-0.5 split)", () => {
    // jax.random.split(PRNGKey(0)) with jax_threefry_partitionable=False (JAX < 0.5).
    expect(splitLegacy(key(0)).map(keyData)).toEqual([
      [4146024105, 967050713],
      [2718843009, 1272950319],
    ]);
  });

  it("split(key(0)) equals JAX >= 0.5 (jax_threefry_partitionable=True)", () => {
    // Value printed by jax.random.key_data(jax.random.split(jax.random.key(0))) in
    // JAX >= 0.5; it is Threefry of the counters (0, 0) and (0, 1) under key (0, 0).
    expect(split(key(0)).map(keyData)).toEqual([
      [1797259609, 2579123966],
      [928981903, 3453687069],
    ]);
  });

  it("split children equal foldIn with their index, and are deterministic", () => {
    const k = key(123);
    const ch = split(k, 5);
    for (const [i, c] of ch.entries()) expect(keyData(c)).toEqual(keyData(foldIn(k, i)));
    expect(split(k, 5).map(keyData)).toEqual(ch.map(keyData));
    expect(split(k, 3).map(keyData)).toEqual(ch.slice(0, 3).map(keyData));
  });

  const arbKey = fc.tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 32 - 1 }));

  it("split children differ from the parent and from each other (property)", () => {
    fc.assert(
      fc.property(arbKey, fc.integer({ min: 2, max: 16 }), ([hi, lo], n) => {
        const parent = keyFromData(hi, lo);
        const words = split(parent, n).map((c) => `${c.hi},${c.lo}`);
        expect(new Set(words).size).toBe(n);
        expect(words).not.toContain(`${hi},${lo}`);
      }),
      { seed: 1, numRuns: 200 },
    );
  });

  it("foldIn is deterministic and injective on a small range (property)", () => {
    fc.assert(
      fc.property(arbKey, fc.nat({ max: 1_000_000 }), ([hi, lo], start) => {
        const k = keyFromData(hi, lo);
        const seen = new Set<string>();
        for (let d = start; d < start + 64; d++) {
          const a = foldIn(k, d);
          const b = foldIn(k, d);
          expect(keyData(a)).toEqual(keyData(b));
          seen.add(`${a.hi},${a.lo}`);
        }
        expect(seen.size).toBe(64);
      }),
      { seed: 2, numRuns: 100 },
    );
  });

  it("foldIn reduces negative int32 data mod 2^32 like JAX's uint32(data)", () => {
    const k = key(9);
    expect(keyData(foldIn(k, -1))).toEqual(keyData(foldIn(k, 2 ** 32 - 1)));
    expect(keyData(foldIn(k, 2 ** 32))).not.toEqual(keyData(foldIn(k, 0)));
    expect(() => foldIn(k, 1.5)).toThrow(RangeError);
  });

  it("randomBits is the xor of the two Threefry words of counter (0, i)", () => {
    const k = key(7);
    const bits = randomBits(k, 10);
    for (let i = 0; i < 10; i++) {
      const [y0, y1] = threefry2x32([k.hi, k.lo], [0, i]);
      expect(bits[i]).toBe((y0 ^ y1) >>> 0);
    }
    // prefix-stable: element i does not depend on n
    expect([...randomBits(k, 4)]).toEqual([...bits.subarray(0, 4)]);
    // roughly balanced bits
    const many = randomBits(key(1), 20000);
    let ones = 0;
    for (const w of many) for (let b = 0; b < 32; b++) ones += (w >>> b) & 1;
    expect(Math.abs(ones / (20000 * 32) - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / (20000 * 32)));
  });

  it("uniform is prefix-stable and lies in the open interval", () => {
    const u = uniform(key(3), 1000);
    expect([...uniform(key(3), 10)]).toEqual([...u.subarray(0, 10)]);
    for (const x of u) expect(x > 0 && x < 1).toBe(true);
  });
});
