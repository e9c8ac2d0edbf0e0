import { bernoulli, binomial, categorical, foldIn, key, poisson } from "@scribe/core/random/index.js";
import { lgamma } from "@scribe/core/special/scalar/index.js";
import { describe, expect, it } from "vitest";
import { momentCases, samplerChecks } from "./random-stats.js";

// Fixed keys; 200k draws per case (100k for the largest-support cases). Moments within
// 5 standard errors (SE from the known variance and excess kurtosis), chi-square
// goodness of fit on bins of expected count >= 20 with p > 1e-3.
const N = 200_000;
const Z_TOL = 5;
const P_MIN = 1e-3;
const report: string[] = [];
const { moments: checkMoments, chi2: checkChi2 } = samplerChecks(report, Z_TOL, P_MIN);

const isCount = (x: number) => Number.isInteger(x) && x >= 0;

describe("poisson", () => {
  const rates = [0.01, 0.5, 3.5, 7, 9.99, 10, 30, 1e3, 1e4, 1e6, 1e8];
  it.each(rates.map((r, i) => [r, i]))("rate %d", (rate, i) => {
    const n = rate >= 1e6 ? N / 2 : N;
    const xs = poisson(foldIn(key(20), i), n, rate);
    expect(xs.every(isCount)).toBe(true);
    checkMoments(`Poisson(${rate})`, xs, rate, rate, 1 / rate);
    const w = 10 * Math.sqrt(rate) + 10;
    const logRate = Math.log(rate);
    checkChi2(
      `Poisson(${rate})`,
      xs,
      (k) => Math.exp(k * logRate - rate - lgamma(k + 1)),
      Math.max(0, Math.floor(rate - w)),
      Math.ceil(rate + w),
    );
  });

  it("agrees with the reference moments file", () => {
    for (const c of momentCases("Poisson")) {
      const rate = c.params.rate as number;
      expect(c.expected.mean).toBe(rate);
      expect(c.expected.variance).toBe(rate);
    }
  });

  it("rate 0 gives 0, per-element rates, and bad rates throw", () => {
    expect([...poisson(key(1), 3, 0)]).toEqual([0, 0, 0]);
    const xs = poisson(key(2), 4, [0, 1e6, 0, 1e6]);
    expect(xs[0]).toBe(0);
    expect(Math.abs(xs[1]! - 1e6)).toBeLessThan(1e4);
    expect(() => poisson(key(1), 1, -1)).toThrow(RangeError);
    expect(() => poisson(key(1), 1, Number.NaN)).toThrow(RangeError);
    expect(() => poisson(key(1), 3, [1, 2])).toThrow(/broadcast/);
  });
});

describe("binomial", () => {
  const fixture = momentCases("Binomial").map((c) => [
    c.params.total_count as number,
    c.params.probs as number,
  ]);
  const extra: number[][] = [
    [100, 0.05], // inversion
    [50, 0.97], // inversion after reflection
    [1e6, 1e-5], // inversion, large n
    [200, 0.5], // BTRS
    [1000, 0.7], // BTRS after reflection
    [1e9, 0.3], // BTRS, very large n
  ];
  it.each([...fixture, ...extra].map(([t, p], i) => [t!, p!, i]))("n=%d p=%d", (total, p, i) => {
    const xs = binomial(foldIn(key(21), i), N, total, p);
    expect(xs.every((x) => isCount(x) && x <= total)).toBe(true);
    const q = 1 - p;
    const v = total * p * q;
    checkMoments(`Binomial(${total},${p})`, xs, total * p, v, (1 - 6 * p * q) / v);
    const c = lgamma(total + 1);
    const lp = Math.log(p);
    const lq = Math.log1p(-p);
    const w = 10 * Math.sqrt(v) + 10;
    checkChi2(
      `Binomial(${total},${p})`,
      xs,
      (k) => Math.exp(c - lgamma(k + 1) - lgamma(total - k + 1) + k * lp + (total - k) * lq),
      Math.max(0, Math.floor(total * p - w)),
      Math.min(total, Math.ceil(total * p + w)),
    );
  });

  it("edge parameters", () => {
    expect([...binomial(key(1), 3, 10, 0)]).toEqual([0, 0, 0]);
    expect([...binomial(key(1), 3, 10, 1)]).toEqual([10, 10, 10]);
    expect([...binomial(key(1), 2, 0, 0.5)]).toEqual([0, 0]);
    expect(() => binomial(key(1), 1, 2.5, 0.5)).toThrow(RangeError);
    expect(() => binomial(key(1), 1, 10, 1.5)).toThrow(RangeError);
  });
});

describe("bernoulli and categorical", () => {
  it("bernoulli frequencies", () => {
    const probs = new Float64Array(N);
    for (let i = 0; i < N; i++) probs[i] = i % 2 === 0 ? 0.3 : 0.9;
    const xs = bernoulli(key(22), N, probs);
    const even = xs.filter((_, i) => i % 2 === 0);
    const odd = xs.filter((_, i) => i % 2 === 1);
    checkChi2("Bernoulli(0.3)", even, (k) => (k === 0 ? 0.7 : 0.3), 0, 1);
    checkChi2("Bernoulli(0.9)", odd, (k) => (k === 0 ? 0.1 : 0.9), 0, 1);
    expect([...bernoulli(key(1), 3, 0)]).toEqual([0, 0, 0]);
    expect([...bernoulli(key(1), 3, 1)]).toEqual([1, 1, 1]);
  });

  it("categorical with shared logits", () => {
    const probs = [0.1, 0.25, 0.05, 0.4, 0.2];
    const xs = categorical(key(23), N, probs.map(Math.log));
    checkChi2("Categorical(5)", xs, (k) => probs[k] ?? 0, 0, 4);
  });

  it("categorical with per-row logits and -Infinity entries", () => {
    const K = 3;
    const rowsA = [0.2, 0.8, 0];
    const rowsB = [0.5, 0.25, 0.25];
    const logits = new Float64Array(N * K);
    for (let i = 0; i < N; i++) {
      const p = i % 2 === 0 ? rowsA : rowsB;
      for (let j = 0; j < K; j++) logits[i * K + j] = Math.log(p[j]!) + 3; // unnormalized
    }
    const xs = categorical(key(24), N, logits, K);
    const a = xs.filter((_, i) => i % 2 === 0);
    const b = xs.filter((_, i) => i % 2 === 1);
    expect(a.includes(2)).toBe(false);
    checkChi2("Categorical rows A", a, (k) => rowsA[k] ?? 0, 0, 1);
    checkChi2("Categorical rows B", b, (k) => rowsB[k] ?? 0, 0, 2);
    expect(() => categorical(key(1), 2, [0, 0, 0], 2)).toThrow(/length/);
    expect(() => categorical(key(1), 2, [-Infinity, -Infinity])).toThrow(/no finite/);
  });
});

describe("report", () => {
  it("prints the measured statistics", () => {
    console.log(report.join("\n"));
  });
});
