import {
  designFromConditions,
  fitFDistMoments,
  fLogDensity,
  nbFit,
  nbTest,
  overdispersionMle,
  qlShrinkage,
  squeezeVar,
  trigammaInverse,
} from "@scribe/models/de/index.js";
import { overdispersionProfile } from "@scribe/models/de/overdispersion.js";
import { randGamma, randPoisson } from "@scribe/models/de/simulate.js";
import { trigamma } from "@scribe/models/de/special.js";
import { makeRng } from "@scribe/models/seeded-rng.js";
import { describe, expect, it } from "vitest";

/** Golden-section maximum of f on [a, b]. */
function goldenMax(f: (x: number) => number, a: number, b: number): number {
  const r = (Math.sqrt(5) - 1) / 2;
  let c = b - r * (b - a);
  let d = a + r * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 200; i++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - r * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + r * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

/** Brute-force Cox–Reid profile log-likelihood, written from the formula directly. */
function bruteProfile(y: number[], mu: number[], X: number[][], theta: number): number {
  const r = 1 / theta;
  let ll = 0;
  const lg = (v: number) => {
    // Stirling with recursion: independent of the library's lgamma
    let acc = 0;
    let x = v;
    while (x < 30) {
      acc -= Math.log(x);
      x += 1;
    }
    return (
      acc +
      (x - 0.5) * Math.log(x) -
      x +
      0.5 * Math.log(2 * Math.PI) +
      1 / (12 * x) -
      1 / (360 * x ** 3) +
      1 / (1260 * x ** 5)
    );
  };
  for (let i = 0; i < y.length; i++) {
    ll += lg(y[i]! + r) - lg(r) - r * Math.log(theta) - (y[i]! + r) * Math.log(mu[i]! + r);
  }
  // ½·0.99·log det(XᵀWX), p = 2 closed form
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < y.length; i++) {
    const w = mu[i]! / (1 + mu[i]! * theta);
    a += X[i]![0]! * X[i]![0]! * w;
    b += X[i]![0]! * X[i]![1]! * w;
    c += X[i]![1]! * X[i]![1]! * w;
  }
  return ll - 0.5 * 0.99 * Math.log(a * c - b * b);
}

describe("Cox–Reid overdispersion MLE", () => {
  const design = designFromConditions(["A", "A", "A", "A", "A", "B", "B", "B", "B", "B"], "A");
  const rng = makeRng(3);
  for (const [mean, theta] of [
    [50, 0.1],
    [8, 0.5],
    [500, 0.02],
    [2, 1.5],
  ] as const) {
    it(`matches a brute-force 1-D maximisation (mean ${mean}, θ ${theta})`, () => {
      const y = Array.from({ length: 10 }, (_, i) =>
        randPoisson(rng, randGamma(rng, 1 / theta) * theta * mean * (i < 5 ? 1 : 2)),
      );
      const mA = y.slice(0, 5).reduce((s, v) => s + v, 0) / 5;
      const mB = y.slice(5).reduce((s, v) => s + v, 0) / 5;
      const mu = y.map((_, i) => Math.max(i < 5 ? mA : mB, 1e-6));
      const X = Array.from({ length: 10 }, (_, i) => [1, i < 5 ? 0 : 1]);
      const est = overdispersionMle(Float64Array.from(y), 0, Float64Array.from(mu), 0, 10, design.matrix, 2);
      const lam = goldenMax((l) => bruteProfile(y, mu, X, Math.exp(l)), -12, 5);
      if (est === 0) {
        // Poisson boundary: the profile must be decreasing near θ = 0
        expect(bruteProfile(y, mu, X, 1e-3)).toBeLessThan(bruteProfile(y, mu, X, 1e-6) + 1e-9);
      } else {
        expect(Math.log(est)).toBeCloseTo(lam, 4);
      }
      // The analytic derivative agrees with a central difference of the brute force.
      const l0 = Math.log(Math.max(est, 0.05));
      const fd =
        (bruteProfile(y, mu, X, Math.exp(l0 + 1e-5)) - bruteProfile(y, mu, X, Math.exp(l0 - 1e-5))) / 2e-5;
      const an = overdispersionProfile(Float64Array.from(y), Float64Array.from(mu), design.matrix, 2, l0);
      expect(an.g).toBeCloseTo(fd, 4);
    });
  }
  it("all-zero gene → 0; Poisson-like gene → 0", () => {
    const z = new Float64Array(10);
    expect(overdispersionMle(z, 0, new Float64Array(10).fill(1e-3), 0, 10, design.matrix, 2)).toBe(0);
    const y = Float64Array.from([10, 10, 10, 10, 10, 20, 20, 20, 20, 20]);
    const mu = Float64Array.from([10, 10, 10, 10, 10, 20, 20, 20, 20, 20]);
    expect(overdispersionMle(y, 0, mu, 0, 10, design.matrix, 2)).toBe(0);
  });
});

describe("QL shrinkage", () => {
  it("all s² = 1 gives d0 = ∞ and s²_post = 1", () => {
    const r = qlShrinkage(new Float64Array(50).fill(1), new Float64Array(50).fill(10), 4);
    expect(r.d0).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(r.s2Post).every((v) => v === 1)).toBe(true);
  });
  it("intercept-only ML fit agrees with a brute-force grid of the scaled-F likelihood", () => {
    const rng = makeRng(11);
    const d = 4;
    // s² = s0 · F(d, d0) draws with s0 = 0.8, d0 = 10 via chi-square ratios.
    const s2 = Float64Array.from({ length: 400 }, () => {
      const a = (2 * randGamma(rng, d / 2)) / d;
      const b = (2 * randGamma(rng, 5)) / 10;
      return (0.8 * a) / b;
    });
    const fit = qlShrinkage(s2, new Float64Array(400).fill(1), d, { trend: false });
    const nll = (ls0: number, ld0: number) => {
      let v = 0;
      for (const x of s2) v -= fLogDensity(x / Math.exp(ls0), d, Math.exp(ld0)) - ls0;
      return v;
    };
    let best = [0, 0, Number.POSITIVE_INFINITY];
    for (let i = 0; i <= 80; i++) {
      for (let j = 0; j <= 80; j++) {
        const ls0 = -1 + i * 0.025;
        const ld0 = 1 + j * 0.0375;
        const v = nll(ls0, ld0);
        if (v < best[2]!) best = [ls0, ld0, v];
      }
    }
    expect(Math.log(fit.s0[0]!)).toBeCloseTo(best[0]!, 1);
    expect(Math.log(fit.d0)).toBeCloseTo(best[1]!, 1);
    expect(nll(Math.log(fit.s0[0]!), Math.log(fit.d0))).toBeLessThanOrEqual(best[2]! + 1e-9);
    // posterior formula
    const g = 17;
    expect(fit.s2Post[g]).toBeCloseTo((fit.d0 * fit.s0[g]! + d * s2[g]!) / (fit.d0 + d), 12);
  });
  it("limma-style moments: trigammaInverse round trip, constant variances → d0 = ∞", () => {
    for (const x of [0.01, 0.3, 1, 7.5, 300, 1e5]) expect(trigammaInverse(trigamma(x)) / x).toBeCloseTo(1, 9);
    const r = fitFDistMoments([2, 2, 2, 2], 5);
    expect(r.df2).toBe(Number.POSITIVE_INFINITY);
    expect(r.scale).toBeCloseTo(2, 12);
    const sq = squeezeVar([0.5, 1, 2, 4, 8], 3);
    // hand check: e = log s² + log(1.5) − ψ(1.5); V = var(e) − ψ₁(1.5) = (log 2)²·2.5 − 0.9348 > 0
    expect(sq.df2).toBeGreaterThan(0);
    expect(Number.isFinite(sq.df2)).toBe(true);
    const V = (Math.log(2) ** 2 * 10) / 4 - trigamma(1.5);
    expect(sq.df2).toBeCloseTo(2 * trigammaInverse(V), 10);
  });
});

describe("nbFit / nbTest edge cases", () => {
  const conds = ["A", "A", "A", "B", "B", "B"];
  const rows = [
    [0, 0, 0, 0, 0, 0], // all zero
    [0, 0, 0, 15, 22, 9], // all-zero group
    [10, 10, 10, 10, 10, 10], // Poisson-like (θ̂ = 0)
    [2_000_000, 2_100_000, 1_900_000, 4_000_000, 4_200_000, 3_800_000], // huge counts
    [5, 9, 3, 7, 12, 4],
    [100, 130, 90, 300, 280, 350],
  ];
  const counts = {
    data: Float64Array.from(rows.flat()),
    nGenes: rows.length,
    nSamples: 6,
    genes: rows.map((_, g) => `g${g}`),
  };
  it("handles all-zero genes, all-zero groups, θ = 0 and huge counts like glmGamPoi", () => {
    const fit = nbFit(counts, { conditions: conds, reference: "A", sizeFactors: [1, 1, 1, 1, 1, 1] });
    const t = nbTest(fit, { contrast: "conditionB" });
    expect(fit.overdispersions[0]).toBe(0);
    expect(t.pval[0]).toBe(1);
    expect(t.log2FC[0]).toBe(0);
    expect(t.log2FC[1]).toBe(10);
    expect(t.pval[1]).toBeGreaterThan(0);
    expect(t.pval[1]).toBeLessThan(0.05);
    expect(fit.overdispersions[2]).toBe(0);
    expect(t.log2FC[3]).toBeCloseTo(1, 1);
    for (const a of [t.pval, t.padj, t.log2FC, t.statistic])
      expect(Array.from(a).every(Number.isFinite)).toBe(true);
    const lrt = nbTest(fit, { contrast: [0, 1], method: "lrt" });
    expect(lrt.df2).toBe(Number.POSITIVE_INFINITY);
    expect(lrt.pval[5]!).toBeLessThan(1e-3);
  });
  it("gives clear errors for bad input", () => {
    expect(() => nbFit(counts, { conditions: ["A", "A", "A", "B", "B"] })).toThrow(
      /design has 5 rows but counts have 6 samples/,
    );
    expect(() => nbFit(counts, { conditions: conds, reference: "C" })).toThrow(
      /reference 'C' is not a level/,
    );
    const neg = { ...counts, data: Float64Array.from(counts.data, (v, k) => (k === 7 ? -1 : v)) };
    expect(() => nbFit(neg, { conditions: conds })).toThrow(/\(g1, sample 1\) = -1 is negative/);
    const zeroCol = { ...counts, data: Float64Array.from(counts.data, (v, k) => (k % 6 === 2 ? 0 : v)) };
    expect(() => nbFit(zeroCol, { conditions: conds })).toThrow(/sample 2 has zero total count/);
    expect(() =>
      nbFit(counts, { design: "~ batch", colData: { batch: ["x", "x", "x", "x", "x", "x"] } }),
    ).toThrow(/single level/);
    const fit = nbFit(counts, { conditions: conds });
    expect(() => nbTest(fit, { contrast: "conditionC" })).toThrow(
      /'conditionC' is not a coefficient \(have: Intercept, conditionB\)/,
    );
  });
  it("general (IRLS) path with a covariate agrees with the group path when the covariate is a factor", () => {
    const d1 = nbFit(counts, { conditions: conds, reference: "A" });
    const d2 = nbFit(counts, { design: "~ x", colData: { x: [0, 0, 0, 1, 1, 1] }, groupPath: false });
    expect(d1.groupPath).toBe(true);
    expect(d2.groupPath).toBe(false);
    for (const g of [4, 5]) {
      expect(d2.beta[g * 2 + 1]).toBeCloseTo(d1.beta[g * 2 + 1]!, 5);
      expect(d2.overdispersions[g]).toBeCloseTo(d1.overdispersions[g]!, 4);
    }
  });
});
