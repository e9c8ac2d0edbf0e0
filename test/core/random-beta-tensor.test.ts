import { foldIn, key, random, sum, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { betainc, betaln } from "@scribe/core/special/scalar/index.js";
import { Beta } from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { ksTest } from "./random-stats.js";

// Tensor-level random.beta: gammas drawn in log space (boost log G(c) = log G(c+1) + log U / c),
// differentiable by implicit reparameterization. References: the exact regularized incomplete
// beta I_x(a, b) (scalar betainc), and for gradients its finite differences in a and b.

const f64 = (v: number[]) => tensor(new Float64Array(v));
/** |z| of an observed proportion against probability p over n Bernoulli trials. */
const propZ = (k: number, n: number, p: number) => (k - n * p) / Math.sqrt(n * p * (1 - p));

describe("random.beta (tensor level)", () => {
  const N = 100_000;

  it.each([
    [1e-4, 1e-4],
    [1e-3, 1e-3],
    [1e-4, 1e-3],
    [1e-3, 2],
    [0.01, 0.02],
  ])("Beta(%f, %f): finite draws in [0, 1] with the right mean and CDF (float64)", (a, b) => {
    const x = random.beta(key(31), a, b, [N], { dtype: "float64" }).dataSync();
    let s = 0;
    // one assertion for all draws (an expect per draw cost more than the sampling)
    let outside = 0;
    for (const v of x) {
      if (!(v >= 0 && v <= 1)) outside++;
      s += v;
    }
    expect(outside, "draws outside [0, 1] or NaN").toBe(0);
    const mean = a / (a + b);
    const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    expect(Math.abs((s / N - mean) / Math.sqrt(variance / N))).toBeLessThan(5);
    // P(x < t) against I_t(a, b), down to t = 1e-300: the draws span hundreds of decades
    for (const t of [1e-300, 1e-100, 1e-10, 0.5, 1 - 1e-10]) {
      let k = 0;
      for (const v of x) if (v < t) k++;
      const p = betainc(a, b, t);
      if (p > 1e-6 && p < 1 - 1e-6) expect(Math.abs(propZ(k, N, p)), `P(x < ${t})`).toBeLessThan(5);
    }
  });

  it("tiny concentrations in float32 and as tensors: finite, in [0, 1], right mean", () => {
    const a = f64([1e-4, 1e-3, 1e-3, 0.5]);
    const b = f64([1e-4, 1e-4, 3, 1e-3]);
    const x = random.beta(key(32), a, b, [N / 4, 4], { dtype: "float32" }).dataSync();
    const av = a.dataSync();
    const bv = b.dataSync();
    for (let j = 0; j < 4; j++) {
      let s = 0;
      let outside = 0;
      for (let i = j; i < x.length; i += 4) {
        if (!(Number.isFinite(x[i]!) && x[i]! >= 0 && x[i]! <= 1)) outside++;
        s += x[i]!;
      }
      expect(outside, `column ${j}: draws outside [0, 1] or not finite`).toBe(0);
      const m = av[j]! / (av[j]! + bv[j]!);
      const v = (av[j]! * bv[j]!) / ((av[j]! + bv[j]!) ** 2 * (av[j]! + bv[j]! + 1));
      expect(Math.abs((s / (N / 4) - m) / Math.sqrt(v / (N / 4))), `column ${j}`).toBeLessThan(5);
    }
  });

  it("concentrations near the smallest doubles still pick the right end", () => {
    const x = random.beta(key(33), 1e-305, 3e-305, [20000], { dtype: "float64" }).dataSync();
    let ones = 0;
    let between = 0;
    for (const v of x) {
      if (v === 1) ones++;
      else if (v !== 0) between++;
    }
    expect(between, "draws strictly between 0 and 1 (or NaN)").toBe(0);
    expect(Math.abs(propZ(ones, x.length, 0.25))).toBeLessThan(5);
  });

  it.each([
    [0.5, 0.5],
    [2, 3],
    [0.1, 5],
    [30, 0.7],
    [1, 1],
    [200, 300],
  ])("Kolmogorov–Smirnov against I_x(a, b): Beta(%f, %f)", (a, b) => {
    const x = random
      .beta(foldIn(key(34), Math.round(a * 10 + b)), a, b, [N], { dtype: "float64" })
      .dataSync();
    const { p } = ksTest(x, (v) => betainc(a, b, v));
    expect(p).toBeGreaterThan(1e-3);
  });

  it("same key, same draws; the concentration-1 draws do not depend on which branch the other takes", () => {
    const x1 = random.beta(key(35), 0.3, 4, [64], { dtype: "float64" }).dataSync();
    const x2 = random.beta(key(35), f64(Array(64).fill(0.3)), 4, undefined, { dtype: "float64" }).dataSync();
    expect(Array.from(x2)).toEqual(Array.from(x1));
  });

  it("implicit reparameterization: ∂x/∂a, ∂x/∂b = −(∂I_x/∂a, ∂I_x/∂b)/p(x) (finite differences of I)", () => {
    const as = [0.3, 2, 0.05, 7, 1e-3, 0.9];
    const bs = [0.6, 5, 3, 0.2, 0.5, 40];
    const n = 200;
    const aT = f64(as.flatMap((v) => Array(n).fill(v)));
    const bT = f64(bs.flatMap((v) => Array(n).fill(v)));
    const [xT, g] = valueAndGrad((p: Record<string, Tensor>) => sum(random.beta(key(36), p.a!, p.b!)))({
      a: aT,
      b: bT,
    }) as unknown as [Tensor, Record<string, Tensor>];
    expect(Number.isFinite(xT.item())).toBe(true);
    const x = random.beta(key(36), aT, bT).dataSync();
    const ga = g.a!.dataSync();
    const gb = g.b!.dataSync();
    let worst = 0;
    let checked = 0;
    let nonFinite = 0;
    for (let i = 0; i < x.length; i++) {
      const a = as[Math.floor(i / n)]!;
      const b = bs[Math.floor(i / n)]!;
      const xi = x[i]!;
      if (!(Number.isFinite(ga[i]!) && Number.isFinite(gb[i]!))) nonFinite++;
      if (!(xi > 1e-280 && xi < 1 - 1e-12)) continue;
      const logPdf = (a - 1) * Math.log(xi) + (b - 1) * Math.log1p(-xi) - betaln(a, b);
      const ha = 1e-6 * a;
      const hb = 1e-6 * b;
      const dIa = (betainc(a + ha, b, xi) - betainc(a - ha, b, xi)) / (2 * ha);
      const dIb = (betainc(a, b + hb, xi) - betainc(a, b - hb, xi)) / (2 * hb);
      const wantA = -dIa * Math.exp(-logPdf);
      const wantB = -dIb * Math.exp(-logPdf);
      // relative to the draw's own scale (x, or 1 − x near 1) so that tiny draws count too
      const scale = Math.min(xi, 1 - xi) / Math.min(a, b) + 1e-300;
      worst = Math.max(worst, Math.abs(ga[i]! - wantA) / scale, Math.abs(gb[i]! - wantB) / scale);
      checked++;
    }
    expect(nonFinite, "non-finite gradients").toBe(0);
    expect(checked).toBeGreaterThan(0.9 * x.length);
    expect(worst).toBeLessThan(1e-6); // measured 1.3e-7 (finite-difference noise)
  });

  it("the pathwise gradient is unbiased: mean ∂x/∂a = b/(a+b)², mean ∂x/∂b = −a/(a+b)²", () => {
    for (const [a, b] of [
      [0.4, 1.5],
      [3, 0.2],
      [1e-3, 0.5],
    ] as const) {
      // 15,000 draws (was 40,000): the z-test below scales its bound with the sample's own SE
      const n = 15_000;
      const [, g] = valueAndGrad((p: Record<string, Tensor>) =>
        sum(random.beta(key(37), p.a!, p.b!, [n], { dtype: "float64" })),
      )({ a: f64([a]), b: f64([b]) }) as unknown as [Tensor, Record<string, Tensor>];
      // per-draw gradients (the same draws: one concentration per element), to estimate the spread
      const [, gp] = valueAndGrad((p: Record<string, Tensor>) => sum(random.beta(key(37), p.a!, p.b!)))({
        a: f64(Array(n).fill(a)),
        b: f64(Array(n).fill(b)),
      }) as unknown as [Tensor, Record<string, Tensor>];
      for (const [name, total, want] of [
        ["a", g.a!.item(), b / (a + b) ** 2],
        ["b", g.b!.item(), -a / (a + b) ** 2],
      ] as const) {
        const v = gp[name]!.dataSync();
        let m = 0;
        let m2 = 0;
        for (const d of v) {
          m += d;
          m2 += d * d;
        }
        m /= n;
        const sd = Math.sqrt(m2 / n - m * m);
        expect(Math.abs(total / n - m)).toBeLessThan(1e-9 * Math.max(1, Math.abs(m)));
        expect(Math.abs((m - want) / (sd / Math.sqrt(n))), `${name} at (${a}, ${b})`).toBeLessThan(5);
      }
    }
  });
});

describe("Beta.sample uses it", () => {
  it("tiny concentrations: draws inside (0, 1), mean a/(a+b), finite reparameterized gradients", () => {
    const a = f64([1e-4, 2e-3]);
    const b = f64([3e-4, 1e-3]);
    const n = 50_000;
    for (const dtype of ["float64", "float32"] as const) {
      const d = new Beta(a.astype(dtype), b.astype(dtype));
      const x = d.sample(key(38), [n]).dataSync();
      for (let j = 0; j < 2; j++) {
        let s = 0;
        let outside = 0;
        for (let i = j; i < x.length; i += 2) {
          if (!(x[i]! > 0 && x[i]! < 1)) outside++;
          s += x[i]!;
        }
        expect(outside, `${dtype} column ${j}: draws outside (0, 1)`).toBe(0);
        const av = a.dataSync()[j]!;
        const bv = b.dataSync()[j]!;
        const m = av / (av + bv);
        expect(Math.abs((s / n - m) / Math.sqrt((m * (1 - m)) / n)), `${dtype} column ${j}`).toBeLessThan(5);
      }
    }
    const [v, g] = valueAndGrad((p: Record<string, Tensor>) =>
      sum(new Beta(p.a!, p.b!).sample(key(39), [1000])),
    )({ a, b });
    expect(Number.isFinite(v.item())).toBe(true);
    for (const t of Object.values(g as Record<string, Tensor>))
      expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
  });
});
