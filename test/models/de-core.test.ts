import { fitBeta } from "@scribe/models/de/fit.js";
import {
  adjustBH,
  buildDesign,
  chiSquareUpper,
  designFromConditions,
  designFromMatrix,
  estimateSizeFactors,
  fUpper,
  irlsFit,
  locMedianFit,
  normalTwoSided,
  tTwoSided,
  unitDeviance,
  weightedMedian,
} from "@scribe/models/de/index.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("BH adjustment", () => {
  it("matches a hand computation", () => {
    // sorted p: .01 .03 .04 .2 → N p/k = .04 .06 .0533 .2 → running min from the top
    const q = adjustBH([0.01, 0.04, 0.03, 0.2]);
    expect(q[0]).toBeCloseTo(0.04, 15);
    expect(q[3]).toBeCloseTo(0.2, 15);
    expect(q[1]).toBeCloseTo(0.16 / 3, 15);
    expect(q[2]).toBeCloseTo(0.16 / 3, 15);
  });
  it("keeps NaN, caps at 1 and is monotone in p", () => {
    const q = adjustBH([0.9, Number.NaN, 0.8]);
    expect(Number.isNaN(q[1]!)).toBe(true);
    expect(q[0]).toBe(0.9);
    expect(q[2]).toBe(0.9);
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (p) => {
          const q = adjustBH(p);
          for (let i = 0; i < p.length; i++) {
            expect(q[i]!).toBeGreaterThanOrEqual(p[i]! - 1e-15);
            expect(q[i]!).toBeLessThanOrEqual(1);
            for (let j = 0; j < p.length; j++)
              if (p[i]! < p[j]!) expect(q[i]!).toBeLessThanOrEqual(q[j]! + 1e-15);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("test-statistic distributions", () => {
  it("F upper tail: F(2, d2) has the closed form (1 + 2f/d2)^(−d2/2)", () => {
    for (const [f, d2] of [
      [0.5, 3],
      [2, 7.5],
      [10, 30],
      [40, 12],
    ] as const) {
      expect(fUpper(f, 2, d2)).toBeCloseTo((1 + (2 * f) / d2) ** (-d2 / 2), 13);
    }
    expect(fUpper(1, 1, 1)).toBeCloseTo(0.5, 14);
    expect(fUpper(0, 1, 5)).toBe(1);
  });
  it("χ² upper tail: known quantiles and the df = 2 closed form", () => {
    expect(chiSquareUpper(3.841458820694124, 1)).toBeCloseTo(0.05, 13); // qchisq(0.95, 1)
    expect(chiSquareUpper(6.634896601021213, 1)).toBeCloseTo(0.01, 13); // qchisq(0.99, 1)
    for (const x of [0.1, 1, 5, 50]) expect(chiSquareUpper(x, 2)).toBeCloseTo(Math.exp(-x / 2), 14);
    expect(fUpper(3.841458820694124, 1, Number.POSITIVE_INFINITY)).toBeCloseTo(0.05, 13);
  });
  it("t and normal two-sided tails", () => {
    for (const t of [0.3, 1, 4, 100])
      expect(tTwoSided(t, 1)).toBeCloseTo(1 - (2 * Math.atan(t)) / Math.PI, 13); // Cauchy
    expect(tTwoSided(12.706204736174707, 1)).toBeCloseTo(0.05, 13);
    expect(normalTwoSided(1.959963984540054)).toBeCloseTo(0.05, 14);
    expect(tTwoSided(1.959963984540054, Number.POSITIVE_INFINITY)).toBeCloseTo(0.05, 14);
  });
});

describe("unit deviance", () => {
  it("equals 2[ℓ(y;y) − ℓ(y;μ)] from the NB log-likelihood", () => {
    const ll = (y: number, mu: number, th: number) => {
      const r = 1 / th;
      return y * Math.log(mu / (mu + r)) + r * Math.log(r / (mu + r));
    };
    for (const [y, mu, th] of [
      [5, 3.2, 0.3],
      [0, 2.5, 0.1],
      [120, 80, 0.05],
      [1, 0.01, 2],
    ] as const) {
      const naive = y === 0 ? -2 * ll(0, mu, th) : 2 * (ll(y, y, th) - ll(y, mu, th));
      expect(unitDeviance(y, mu, th)).toBeCloseTo(naive, 10);
    }
    expect(unitDeviance(7, 4, 0)).toBeCloseTo(2 * (7 * Math.log(7 / 4) - 3), 14);
    expect(unitDeviance(4, 4, 0.2)).toBe(0);
  });
});

describe("size factors", () => {
  const counts = { data: Float64Array.from([10, 20, 30, 5, 10, 15, 0, 4, 6]), nGenes: 3, nSamples: 3 };
  it("normed_sum: column sums scaled to geometric mean 1", () => {
    const s = estimateSizeFactors(counts, "normed_sum");
    const cs = [15, 34, 51];
    const gm = Math.cbrt(15 * 34 * 51);
    cs.forEach((c, i) => {
      expect(s[i]).toBeCloseTo(c / gm, 14);
    });
  });
  it("ratio: median of ratios over genes without zeros", () => {
    const s = estimateSizeFactors(counts, "ratio");
    // genes 1 and 2 are proportional to (1, 2, 3) → s ∝ (1, 2, 3)
    const gm = Math.cbrt(6);
    [1, 2, 3].forEach((c, i) => {
      expect(s[i]).toBeCloseTo(c / gm, 12);
    });
  });
  it("errors name a sample with zero total", () => {
    const bad = { data: Float64Array.from([1, 0, 2, 0]), nGenes: 2, nSamples: 2, samples: ["s1", "s2"] };
    expect(() => estimateSizeFactors(bad)).toThrow(/'s2' \(sample 1\) has zero total/);
  });
});

describe("designs", () => {
  it("builds treatment-coded columns from a formula", () => {
    const d = buildDesign({
      formula: "~ condition + age",
      data: { condition: ["ctl", "trt", "ctl", "trt", "ko"], age: [1, 2, 3, 4, 5] },
      reference: { condition: "ctl" },
    });
    expect(d.columns).toEqual(["Intercept", "conditionko", "conditiontrt", "age"]);
    expect(Array.from(d.matrix.subarray(4, 8))).toEqual([1, 0, 1, 2]);
  });
  it("rejects rank-deficient designs, naming the column", () => {
    expect(() =>
      buildDesign({
        formula: "~ a + b",
        data: { a: ["x", "y", "x", "y", "x"], b: ["u", "v", "u", "v", "u"] },
      }),
    ).toThrow(/column 'bv' is a linear combination/);
    expect(() =>
      designFromMatrix(
        [
          [1, 2],
          [2, 4],
          [3, 6],
        ],
        ["a", "b"],
      ),
    ).toThrow(/rank-deficient/);
  });
  it("rejects missing levels and a bad reference", () => {
    expect(() => designFromConditions(["A", "A", "B"], "C")).toThrow(
      /reference 'C' is not a level of 'condition'/,
    );
    expect(() =>
      buildDesign({ formula: "~ g", data: { g: ["a", "a", "b", "b"] }, levels: { g: ["a", "b", "c"] } }),
    ).toThrow(/level 'c' of 'g' has no samples/);
    expect(() =>
      buildDesign({ formula: "~ g", data: { g: ["a", "z", "b"] }, levels: { g: ["a", "b"] } }),
    ).toThrow(/value 'z' which is not among its levels/);
  });
});

describe("coefficient fits (one-factor design) against closed forms", () => {
  // With equal size factors inside a group, the NB MLE of the group mean is the group
  // sample mean for any fixed θ (score Σ(y − μ)/(1 + μθ) = 0 ⇒ μ = ȳ).
  const y = Float64Array.from([3, 7, 5, 9, 20, 31, 25, 28, 0, 1, 0, 2, 40, 41, 39, 38]);
  const G = 2;
  const n = 8;
  const conds = ["A", "A", "A", "A", "B", "B", "B", "B"];
  const s = Float64Array.from([1, 1, 1, 1, 2, 2, 2, 2]);
  const design = designFromConditions(conds, "A");
  const theta = Float64Array.from([0.2, 0.05]);
  const expected = (g: number) => {
    const mA = (y[g * n]! + y[g * n + 1]! + y[g * n + 2]! + y[g * n + 3]!) / 4;
    const mB = (y[g * n + 4]! + y[g * n + 5]! + y[g * n + 6]! + y[g * n + 7]!) / 4 / 2;
    return [Math.log(mA), Math.log(mB) - Math.log(mA)];
  };
  it("per-group Newton path", () => {
    const r = fitBeta(y, G, n, design, s, Float64Array.from(s, Math.log), theta);
    expect(r.groupPath).toBe(true);
    for (let g = 0; g < G; g++) {
      const [b0, b1] = expected(g);
      expect(r.beta[g * 2]).toBeCloseTo(b0!, 9);
      expect(r.beta[g * 2 + 1]).toBeCloseTo(b1!, 9);
    }
  });
  it("general IRLS path", () => {
    const r = irlsFit(y, G, n, design.matrix, 2, Float64Array.from(s, Math.log), theta);
    for (let g = 0; g < G; g++) {
      const [b0, b1] = expected(g);
      expect(r.beta[g * 2]).toBeCloseTo(b0!, 6);
      expect(r.beta[g * 2 + 1]).toBeCloseTo(b1!, 6);
    }
  });
  it("Poisson (θ = 0) group mean is log(Σy/Σs) even with unequal size factors", () => {
    const s2 = Float64Array.from([0.5, 1, 1.5, 2, 0.7, 1.1, 0.9, 1.3]);
    const r = fitBeta(y, G, n, design, s2, Float64Array.from(s2, Math.log), new Float64Array(2));
    const sumA = y[0]! + y[1]! + y[2]! + y[3]!;
    expect(r.beta[0]).toBeCloseTo(Math.log(sumA / 5), 10);
  });
});

describe("local median trend", () => {
  it("matches a brute-force Gaussian-weighted running median", () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const G = 300;
    const x = Float64Array.from({ length: G }, () => rnd() * 100);
    const y = Float64Array.from({ length: G }, () => rnd());
    const fit = locMedianFit(x, y, { minPoints: 41 });
    const order = Array.from({ length: G }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
    const h = 20;
    const w = Array.from({ length: 2 * h + 1 }, (_, k) => Math.exp(-0.5 * (-3 + (6 * k) / (2 * h)) ** 2));
    for (let c = h; c < G - h; c++) {
      const vals = order.slice(c - h, c + h + 1).map((g) => y[g]!);
      expect(fit[order[c]!]).toBe(weightedMedian(vals, w));
    }
    expect(fit[order[0]!]).toBe(fit[order[h]!]);
    expect(fit[order[G - 1]!]).toBe(fit[order[G - h - 1]!]);
  });
});
