/**
 * The package's one seeded uniform generator for host-side randomness that must be
 * reproducible from a plain number seed (simulated data, the held-out split of VAE fits):
 * xoshiro128** (Blackman & Vigna) with its 128-bit state filled by splitmix32 from the seed.
 * Draws are in the open interval (0, 1) from 32 bits, so `Math.log(u)` is always finite.
 * @module
 */

/**
 * A seeded uniform generator on (0, 1) (xoshiro128** from a splitmix32 seed).
 * @example
 * const u = makeRng(42);
 * const a = u(); // same value for seed 42 on every run and platform
 */
export function makeRng(seed: number): () => number {
  let x = seed >>> 0;
  const sm = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return (r + 0.5) / 4294967296;
  };
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}
