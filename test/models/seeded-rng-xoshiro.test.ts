import { key, random } from "@scribe/core";
import { GammaStream } from "@scribe/models/de/bayesian/gamma-stream.js";
import { makeRng, Xoshiro128 } from "@scribe/models/seeded-rng.js";
import { describe, expect, it } from "vitest";

// The package's one xoshiro128** (seeded-rng.ts), which makeRng and the DE's GammaStream both
// step, against the published algorithm (Blackman & Vigna's xoshiro128starstar.c) written
// here in BigInt arithmetic, which shares nothing with the Math.imul / int32 code.

const M32 = 0xffffffffn;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M32;

/** xoshiro128** from state s: the first n outputs as unsigned words. */
function reference(s: bigint[], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Number((rotl((s[1]! * 5n) & M32, 7n) * 9n) & M32));
    const t = (s[1]! << 9n) & M32;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11n);
  }
  return out;
}

describe("seeded-rng: one xoshiro128**", () => {
  it("the generator's words equal the reference algorithm's (state 1, 2, 3, 4 by hand: 11520, 0, 5927040)", () => {
    const g = new Xoshiro128(1, 2, 3, 4);
    const got = Array.from({ length: 1000 }, () => g.nextInt() >>> 0);
    expect(got.slice(0, 3)).toEqual([11520, 0, 5927040]);
    expect(got).toEqual(reference([1n, 2n, 3n, 4n], 1000));
    expect(() => new Xoshiro128(0, 0, 0, 0)).toThrow(/must not be all zero/);
  });

  it("makeRng: (word + ½)/2³² from the splitmix32-seeded state; GammaStream: the Threefry-seeded one", () => {
    // splitmix32 written out (seeded-rng.ts's state fill)
    let x = 42n;
    const state = Array.from({ length: 4 }, () => {
      x = (x + 0x9e3779b9n) & M32;
      let z = x;
      z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M32;
      z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M32;
      return z ^ (z >> 16n);
    });
    const u = makeRng(42);
    for (const w of reference(state, 200)) expect(u()).toBe((w + 0.5) / 2 ** 32);
    const k = key(7);
    const bits = random.randomBits(k, 4);
    const gs = new GammaStream(k);
    const want = reference(
      Array.from(bits, (b) => BigInt(b >>> 0)),
      200,
    );
    for (const w of want) expect(gs.nextInt() >>> 0).toBe(w);
  });
});
