/**
 * The package's one seeded generator, xoshiro128** (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 47(4), 2021), for host-side randomness:
 * `Xoshiro128` holds the state and steps it; `makeRng` seeds it from a plain
 * number (splitmix32 fills the 128-bit state) for what must be reproducible from a number
 * (simulated data, the held-out split of VAE fits, UMAP); the empirical Bayesian DE's
 * `GammaStream` (de/bayesian/gamma-stream.ts) seeds it from a core key's Threefry bits.
 * @module
 */

/** The xoshiro128** state and its step: one 32-bit word per call. */
export class Xoshiro128 {
  protected s0: number;
  protected s1: number;
  protected s2: number;
  protected s3: number;

  /** The four state words (any 32-bit values, not all zero). */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    if ((s0 | s1 | s2 | s3) === 0) throw new Error("Xoshiro128: the state must not be all zero");
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
  }

  /** The next 32-bit output, as a signed int32 (`>>> 0` for the unsigned word). */
  nextInt(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }
}

/** The state splitmix32 draws from `seed` (never all zero: splitmix32 is a bijection of distinct counters). */
function splitmix32State(seed: number): [number, number, number, number] {
  let x = seed >>> 0;
  const next = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return [next(), next(), next(), next()];
}

/**
 * A seeded uniform generator on the open interval (0, 1) from 32 bits (so `Math.log(u)` is
 * always finite): xoshiro128** from a splitmix32 seed.
 * @example
 * const u = makeRng(42);
 * const a = u(); // same value for seed 42 on every run and platform
 */
export function makeRng(seed: number): () => number {
  const g = new Xoshiro128(...splitmix32State(seed));
  return () => ((g.nextInt() >>> 0) + 0.5) / 4294967296;
}
