import { choice, foldIn, key, permutation } from "@scribe/core/random/index.js";
import { describe, expect, it } from "vitest";
import { chiSquareSf } from "./random-stats.js";

const P_MIN = 1e-3;
const report: string[] = [];

function chi2Uniform(counts: ArrayLike<number>, variancePerCell: number, expected: number): number {
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += (counts[i]! - expected) ** 2 / variancePerCell;
  return s;
}

describe("permutation", () => {
  it("is a permutation, deterministic, for several sizes", () => {
    for (const n of [0, 1, 2, 17, 1000, 100_000]) {
      const p = permutation(key(n), n);
      expect(p.length).toBe(n);
      const sorted = Int32Array.from(p).sort();
      for (let i = 0; i < n; i++) expect(sorted[i]).toBe(i);
      expect([...permutation(key(n), n)]).toEqual([...p]);
    }
  });

  it("all 24 orders of 4 items are equally likely (chi-square)", () => {
    const T = 24_000;
    const counts = new Map<string, number>();
    const base = key(30);
    for (let t = 0; t < T; t++) {
      const s = permutation(foldIn(base, t), 4).join("");
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    const e = T / 24;
    const stat = chi2Uniform([...counts.values()], e, e);
    const p = chiSquareSf(stat, 23);
    report.push(`permutation(4) orders: chi2=${stat.toFixed(1)} df=23 p=${p.toFixed(3)}`);
    expect(p).toBeGreaterThan(P_MIN);
  });
});

describe("choice without replacement", () => {
  it("gives distinct indices in range, deterministically", () => {
    for (const [N, k] of [
      [10, 10],
      [10, 0],
      [1000, 999],
      [2_000_000_000, 5000],
      [100_000, 512],
    ] as const) {
      const c = choice(key(31), N, k);
      expect(c.length).toBe(k);
      expect(new Set(c).size).toBe(k);
      for (const x of c) expect(x >= 0 && x < N).toBe(true);
      expect([...choice(key(31), N, k)]).toEqual([...c]);
    }
    expect(() => choice(key(1), 5, 6)).toThrow(RangeError);
  });

  it("includes every index equally often, and orders the draw uniformly", () => {
    const N = 40;
    const k = 8;
    const T = 20_000;
    const incl = new Float64Array(N);
    const first = new Float64Array(N);
    const base = key(32);
    for (let t = 0; t < T; t++) {
      const c = choice(foldIn(base, t), N, k);
      for (const x of c) incl[x]!++;
      first[c[0]!]!++;
    }
    // Inclusion counts: each ~ Binomial(T, k/N) marginally, summing to T k; with the
    // exchangeable covariance the statistic below, times (N-1)/N, is chi-square(N-1).
    const pi = k / N;
    const statIncl = (chi2Uniform(incl, T * pi * (1 - pi), T * pi) * (N - 1)) / N;
    const pIncl = chiSquareSf(statIncl, N - 1);
    // The first position is uniform over the N indices: multinomial chi-square(N-1).
    const statFirst = chi2Uniform(first, T / N, T / N);
    const pFirst = chiSquareSf(statFirst, N - 1);
    report.push(`choice(40, 8) inclusion: chi2=${statIncl.toFixed(1)} df=39 p=${pIncl.toFixed(3)}`);
    report.push(`choice(40, 8) first position: chi2=${statFirst.toFixed(1)} df=39 p=${pFirst.toFixed(3)}`);
    expect(pIncl).toBeGreaterThan(P_MIN);
    expect(pFirst).toBeGreaterThan(P_MIN);
  });

  it("prints the measured statistics", () => {
    console.log(report.join("\n"));
  });
});
