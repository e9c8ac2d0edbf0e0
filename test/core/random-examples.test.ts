// Runs the @example of every export of packages/core/src/random (TSDoc convention).

import {
  bernoulli,
  beta,
  binomial,
  categorical,
  choice,
  dirichlet,
  foldIn,
  gamma,
  gammaReparamGrad,
  gammaReparamGradAt,
  key,
  keyData,
  keyFromData,
  normal,
  permutation,
  poisson,
  randomBits,
  split,
  splitLegacy,
  threefry2x32,
  threefry2x32Into,
  truncatedNormal,
  uniform,
  uniformFromBits,
} from "@scribe/core/random/index.js";
import { describe, expect, it } from "vitest";

describe("TSDoc examples of the random module", () => {
  it("threefry and keys", () => {
    const out = new Uint32Array(2);
    threefry2x32Into(0, 0, 0, 0, out, 0);
    expect([...out]).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefry2x32([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3])).toEqual([
      0xc4923a9c, 0x483df7a0,
    ]);
    expect(keyFromData(0, 42)).toEqual(key(42));
    expect(keyData(key(7))).toEqual([0, 7]);
    expect(keyData(key(0))).toEqual([0, 0]);
    const [k1] = split(key(0));
    expect(keyData(k1!)).toEqual([1797259609, 2579123966]);
    expect(splitLegacy(key(0)).map(keyData)).toEqual([
      [4146024105, 967050713],
      [2718843009, 1272950319],
    ]);
    expect(foldIn(key(0), 1)).toEqual(split(key(0), 2)[1]);
    expect(randomBits(key(0), 4).length).toBe(4);
    expect(uniformFromBits(0, 0)).toBe(2 ** -53);
    expect(uniformFromBits(0xffffffff, 0xffffffff)).toBe(1 - 2 ** -53);
  });

  it("samplers", () => {
    const u = uniform(key(0), 1000, -1, 3);
    expect(u.every((x) => x > -1 && x < 3)).toBe(true);
    expect(normal(key(1), 1000).length).toBe(1000);
    const g = gamma(key(0), 1000, 2.5);
    expect(Math.abs(g.reduce((s, x) => s + x, 0) / 1000 - 2.5)).toBeLessThan(0.3);
    const b = beta(key(0), 1000, 2, 3);
    expect(Math.abs(b.reduce((s, x) => s + x, 0) / 1000 - 0.4)).toBeLessThan(0.05);
    const d = dirichlet(key(0), 10, [1, 2, 3]);
    expect(d.length).toBe(30);
    expect(d[0]! + d[1]! + d[2]!).toBeCloseTo(1, 14);
    expect(Math.abs(poisson(key(0), 1000, 3.5).reduce((s, x) => s + x, 0) / 1000 - 3.5)).toBeLessThan(0.4);
    expect(Math.abs(binomial(key(0), 1000, 20, 0.3).reduce((s, x) => s + x, 0) / 1000 - 6)).toBeLessThan(0.4);
    expect(bernoulli(key(0), 5, 0.3).every((x) => x === 0 || x === 1)).toBe(true);
    expect(categorical(key(0), 4, [0, Math.log(3)]).every((c) => c === 0 || c === 1)).toBe(true);
    const t = truncatedNormal(key(0), 1000, 8, Infinity);
    expect(t.every((x) => x >= 8)).toBe(true);
    expect(Math.abs(t.reduce((s, x) => s + x, 0) / 1000 - 8.12)).toBeLessThan(0.05);
    expect([...permutation(key(0), 5)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(choice(key(0), 1_000_000, 512)).size).toBe(512);
    expect(gammaReparamGradAt(1.5, 2)).toBeCloseTo(0.9366390678772171, 12);
    const x = gamma(key(0), 100, 2);
    expect(gammaReparamGrad(x, 2).every((v) => v > 0)).toBe(true);
  });
});
