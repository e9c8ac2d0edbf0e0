// The WebGPU rejection / inversion samplers (gamma, Poisson, binomial, truncated normal,
// categorical; wgsl-lib/random-samplers.ts) against closed forms and against the cpu backend.
//
// Every case draws N values at a fixed key and checks
//  - the sample mean and variance against the closed forms: |z| < 5, with the standard errors
//    from the known variance and excess kurtosis (random-stats.ts momentZ; the kurtosis is
//    estimated from the sample where no closed form is at hand). At a fixed key the test is
//    deterministic; 5 standard errors leaves room for the ~100 z-scores here while a wrong
//    mean or variance of a few per cent is outside it (N = 20k by default: the standard error
//    of a mean is 0.7% of the standard deviation, so a 3.5% shift of a unit-CV mean is 5 of
//    them; N = 100k with SCRIBE_SLOW=1, 2.2 times tighter);
//  - goodness of fit: Kolmogorov–Smirnov (continuous) or chi-square on bins of expected count
//    ≥ 20 (discrete), p > 1e-3;
//  - agreement with the cpu backend for the same key: the GPU runs the cpu's algorithm on the
//    same counter-stream draws in float32, so a draw differs only where float32 rounding flips
//    an accept/reject test, a floor or an inversion step: integer draws must be equal, floats
//    within 1e-4 relative (float32 is ~6e-8; the Box–Muller normal and u^(1/a) go through
//    WGSL's log / cos, a few ulp, amplified at most ~70-fold by 1/a; gamma draws below
//    float32's smallest normal, 2^-126, count as equal: the GPU flushes subnormals to 0). A
//    flipped decision gives an unrelated draw, far outside that tolerance. Bound: ≥ 99.9% agree.
//    Measured on SwiftShader: 99.99-100% in every case (the few misses of scalar-parameter cases
//    are mostly the parameter itself: a JS number reaches the GPU as float32, the cpu as
//    float64); without the split location of BTRS, Binomial(1e6, 0.3) fell to 99.63%.
// The last test checks that these statistics can fail: the same draws against slightly wrong
// parameters are rejected.
import { cpuBackend, foldIn, key, random, type Tensor, tensor, withBackend } from "@scribe/core";
import { erfc, gammainc, lgamma } from "@scribe/core/special/scalar/index.js";
import { afterAll, describe, expect, it } from "vitest";
import { chiSquareDiscrete, ksTest, momentZ, samplerChecks } from "../core/random-stats.js";
import { values, webgpu } from "./gpu-env.js";

/**
 * Draws per case. SwiftShader runs the samplers' kernels on the CPU, and the cost of a case
 * (the draws on both backends, KS sorts) grows with N: 20,000 in the default run (every case
 * and the power check still run), the former 100,000 with SCRIBE_SLOW=1.
 */
const N = process.env.SCRIBE_SLOW === "1" ? 100_000 : 20_000;
const Z_TOL = 5;
const P_MIN = 1e-3;
const AGREE_MIN = 0.999;
/** float32's smallest normal: the GPU flushes gamma draws below it to 0. */
const F32_TINY = 2 ** -126;
const report: string[] = [];
const { moments: checkMoments, ks: checkKs, chi2: checkChi2 } = samplerChecks(report, Z_TOL, P_MIN);

/** Draw with the same build function on WebGPU and on the cpu backend. */
async function both(build: () => Tensor): Promise<{ gpu: Float64Array; cpu: Float64Array; dtype: string }> {
  const g = withBackend(webgpu!, build);
  const c = withBackend(cpuBackend(), build);
  expect(g.dtype).toBe(c.dtype);
  return { gpu: await values(g), cpu: await values(c), dtype: g.dtype };
}

/** Fraction of elements where GPU and cpu agree (exactly, or within rtol·|c| + atol). */
function agreement(g: Float64Array, c: Float64Array, rtol = 0, atol = 0): number {
  let same = 0;
  for (let i = 0; i < c.length; i++) if (Math.abs(g[i]! - c[i]!) <= rtol * Math.abs(c[i]!) + atol) same++;
  return same / c.length;
}

function checkAgree(label: string, g: Float64Array, c: Float64Array, rtol = 0, atol = 0, min = AGREE_MIN) {
  const f = agreement(g, c, rtol, atol);
  report.push(`${label}: agree=${(100 * f).toFixed(3)}%`);
  expect(f).toBeGreaterThanOrEqual(min);
}

/** Every `stride`-th element from `offset`. */
function every(xs: Float64Array, stride: number, offset: number): Float64Array {
  return Float64Array.from(
    { length: Math.ceil((xs.length - offset) / stride) },
    (_, j) => xs[offset + j * stride]!,
  );
}

const cycle = (vals: number[], n: number) => Array.from({ length: n }, (_, i) => vals[i % vals.length]!);
const poissonPmf = (rate: number) => (k: number) => Math.exp(k * Math.log(rate) - rate - lgamma(k + 1));
const binomPmf = (n: number, p: number) => (k: number) =>
  k < 0 || k > n
    ? 0
    : Math.exp(
        lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p),
      );

describe.skipIf(!webgpu)("webgpu samplers", () => {
  afterAll(() => console.log(`webgpu samplers (N = ${N} per case):\n  ${report.join("\n  ")}`));

  describe("gamma", () => {
    // Shapes below 1 take the boost u^(1/a) Gamma(a + 1); 1e4 exercises the large-d exact test.
    const shapes = [0.1, 0.5, 1, 2.5, 30, 1e4];
    it.each(shapes.map((a, i) => [a, i]))("shape %d (scalar parameter)", async (a, i) => {
      const { gpu, cpu } = await both(() => random.gamma(foldIn(key(100), i), a, [N]));
      expect(gpu.every((x) => x >= 0 && Number.isFinite(x))).toBe(true);
      checkMoments(`Gamma(${a})`, gpu, a, a, 6 / a);
      checkKs(`Gamma(${a})`, gpu, (x) => gammainc(a, x));
      checkAgree(`Gamma(${a})`, gpu, cpu, 1e-4, F32_TINY);
    });

    it("per-element concentrations (buffer parameter)", async () => {
      const shapes3 = [0.3, 1.7, 12];
      const { gpu, cpu } = await both(() => random.gamma(key(101), tensor(cycle(shapes3, N))));
      shapes3.forEach((a, j) => {
        const xs = every(gpu, 3, j);
        checkMoments(`Gamma(${a}) [buffer]`, xs, a, a, 6 / a);
        checkKs(`Gamma(${a}) [buffer]`, xs, (x) => gammainc(a, x));
      });
      checkAgree("Gamma [buffer]", gpu, cpu, 1e-4, F32_TINY);
    });
  });

  describe("poisson", () => {
    // Below 10 inversion, from 10 on PTRS; 1e6 tests the split location ⌊μ⌋ + fraction.
    const rates = [0.05, 3.5, 9.99, 10, 47.5, 1e4, 1e6];
    it.each(rates.map((r, i) => [r, i]))("rate %d (scalar parameter)", async (rate, i) => {
      const { gpu, cpu } = await both(() => random.poisson(foldIn(key(200), i), rate, [N]));
      expect(gpu.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      checkMoments(`Poisson(${rate})`, gpu, rate, rate, 1 / rate);
      const w = 10 * Math.sqrt(rate) + 10;
      checkChi2(
        `Poisson(${rate})`,
        gpu,
        poissonPmf(rate),
        Math.max(0, Math.floor(rate - w)),
        Math.ceil(rate + w),
      );
      checkAgree(`Poisson(${rate})`, gpu, cpu);
    });

    it("rate 0 gives 0; int32 output; per-element rates (buffer parameter)", async () => {
      const zero = await both(() => random.poisson(key(201), 0, [1000]));
      expect(zero.gpu.every((x) => x === 0)).toBe(true);
      const rates = [2, 10, 300];
      const { gpu, cpu, dtype } = await both(() =>
        random.poisson(key(202), tensor(cycle(rates, N)), undefined, { dtype: "int32" }),
      );
      expect(dtype).toBe("int32");
      rates.forEach((rate, j) => {
        const xs = every(gpu, 3, j);
        checkMoments(`Poisson(${rate}) [buffer, int32]`, xs, rate, rate, 1 / rate);
        const w = 10 * Math.sqrt(rate) + 10;
        checkChi2(
          `Poisson(${rate}) [buffer, int32]`,
          xs,
          poissonPmf(rate),
          Math.max(0, Math.floor(rate - w)),
          Math.ceil(rate + w),
        );
      });
      checkAgree("Poisson [buffer, int32]", gpu, cpu);
    });
  });

  describe("binomial", () => {
    // n p < 10 inversion, else BTRS; p > ½ flips; (1e6, 5e-6) is inversion with a large n,
    // (1e6, fround(0.3)) BTRS with a location n p + ½ = 300000.5119… that float32 cannot hold to
    // its fraction. Scalar parameters reach the GPU as float32 and the cpu as float64, so that
    // case uses a float32 value: with p = 0.3 itself n p differs by 0.012 between the backends,
    // which alone moves ~1.2% of the floors.
    const cases: [number, number][] = [
      [20, 0.3],
      [1000, 0.005],
      [50, 0.999],
      [30, 0.5],
      [1000, 0.9],
      [1e6, 5e-6],
      [1e6, Math.fround(0.3)],
    ];
    it.each(cases.map(([n, p], i) => [n, p, i]))("n %d, p %d (scalar parameters)", async (n, p, i) => {
      const { gpu, cpu } = await both(() => random.binomial(foldIn(key(300), i), n, p, [N]));
      expect(gpu.every((x) => Number.isInteger(x) && x >= 0 && x <= n)).toBe(true);
      const q = 1 - p;
      checkMoments(`Binomial(${n}, ${p})`, gpu, n * p, n * p * q, (1 - 6 * p * q) / (n * p * q));
      const sd = Math.sqrt(n * p * q);
      checkChi2(
        `Binomial(${n}, ${p})`,
        gpu,
        binomPmf(n, p),
        Math.max(0, Math.floor(n * p - 10 * sd - 10)),
        Math.min(n, Math.ceil(n * p + 10 * sd + 10)),
      );
      checkAgree(`Binomial(${n}, ${p})`, gpu, cpu);
    });

    it("edges: p = 0, p = 1, n = 0", async () => {
      const draws = await both(() =>
        random.binomial(key(301), tensor(cycle([7, 7, 0], 3000)), tensor(cycle([0, 1, 0.4], 3000))),
      );
      for (let i = 0; i < 3000; i++) expect(draws.gpu[i]).toBe([0, 7, 0][i % 3]);
      expect(agreement(draws.gpu, draws.cpu)).toBe(1);
    });

    it("per-element int32 counts and probabilities (buffer parameters)", async () => {
      const ns = [5, 40, 200];
      const ps = [0.2, 0.6, 0.05];
      const { gpu, cpu } = await both(() =>
        random.binomial(key(302), tensor(new Int32Array(cycle(ns, N))), tensor(cycle(ps, N)), undefined, {
          dtype: "int32",
        }),
      );
      ns.forEach((n, j) => {
        const p = Math.fround(ps[j]!);
        const xs = every(gpu, 3, j);
        checkMoments(
          `Binomial(${n}, ${ps[j]}) [buffer]`,
          xs,
          n * p,
          n * p * (1 - p),
          (1 - 6 * p * (1 - p)) / (n * p * (1 - p)),
        );
        checkChi2(`Binomial(${n}, ${ps[j]}) [buffer]`, xs, binomPmf(n, p), 0, n);
      });
      checkAgree("Binomial [buffer, int32]", gpu, cpu);
    });
  });

  describe("truncatedNormal", () => {
    const SQRT1_2 = Math.SQRT1_2;
    const phi = (x: number) => (Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0);
    const xphi = (x: number) => (Number.isFinite(x) ? x * phi(x) : 0);
    // Upper-tail probability Q(x) = ½ erfc(x/√2), exact deep in the tail; intervals on the
    // negative side are evaluated by reflection, so no CDF difference cancels.
    const Q = (x: number) => 0.5 * erfc(x * SQRT1_2);
    function law(a: number, b: number) {
      const neg = b <= 0;
      const [lo, hi] = neg ? [-b, -a] : [a, b];
      const Z = Q(lo) - Q(hi);
      const m = (phi(lo) - phi(hi)) / Z;
      const v = 1 + (xphi(lo) - xphi(hi)) / Z - m * m;
      const cdfPos = (x: number) => (Q(lo) - Q(Math.min(Math.max(x, lo), hi))) / Z;
      return { mean: neg ? -m : m, variance: v, cdf: neg ? (x: number) => 1 - cdfPos(-x) : cdfPos };
    }
    // Far upper / reflected lower tails, narrow tail intervals (one with Robert's rate beyond
    // the upper bound), narrow and wide intervals around 0, and infinite bounds on both sides.
    const intervals: [number, number][] = [
      [8, Infinity],
      [-Infinity, -6],
      [5, 5.5],
      [2.5, 2.6],
      [-0.5, 1],
      [-1, 3],
      [-Infinity, 0.5],
      [-Infinity, Infinity],
    ];
    it.each(intervals.map(([a, b], i) => [a, b, i]))("[%d, %d] (scalar parameters)", async (a, b, i) => {
      const { gpu, cpu } = await both(() => random.truncatedNormal(foldIn(key(400), i), a, b, [N]));
      expect(gpu.every((x) => x >= a && x <= b)).toBe(true);
      const L = law(a, b);
      checkMoments(`TN[${a}, ${b}]`, gpu, L.mean, L.variance, Number.NaN);
      checkKs(`TN[${a}, ${b}]`, gpu, L.cdf);
      checkAgree(`TN[${a}, ${b}]`, gpu, cpu, 1e-4, 1e-6);
    });

    it("per-element bounds (buffer parameters); lower = upper gives lower", async () => {
      const los = [-2, 3, -Infinity, 1.5];
      const his = [2, 12, -4, 1.5];
      const { gpu, cpu } = await both(() =>
        random.truncatedNormal(key(401), tensor(cycle(los, N)), tensor(cycle(his, N))),
      );
      for (let j = 0; j < 3; j++) {
        const L = law(los[j]!, his[j]!);
        const xs = every(gpu, 4, j);
        checkMoments(`TN[${los[j]}, ${his[j]}] [buffer]`, xs, L.mean, L.variance, Number.NaN);
        checkKs(`TN[${los[j]}, ${his[j]}] [buffer]`, xs, L.cdf);
      }
      expect(every(gpu, 4, 3).every((x) => x === 1.5)).toBe(true);
      checkAgree("TN [buffer]", gpu, cpu, 1e-4, 1e-6);
    });
  });

  describe("categorical", () => {
    function checkCategorical(label: string, xs: ArrayLike<number>, probs: number[]) {
      const K = probs.length;
      const mean = probs.reduce((s, p, j) => s + j * p, 0);
      const variance = probs.reduce((s, p, j) => s + (j - mean) ** 2 * p, 0);
      checkMoments(label, xs, mean, variance, Number.NaN);
      // Zero-probability categories must never appear; the others by chi-square.
      let bad = 0;
      for (let i = 0; i < xs.length; i++) if (!(Number.isInteger(xs[i]) && probs[xs[i]!]! > 0)) bad++;
      expect(bad).toBe(0);
      checkChi2(label, xs, (k) => (k >= 0 && k < K ? probs[k]! : 0), 0, K - 1);
    }

    it("uneven shared probabilities", async () => {
      const probs = [0.001, 0.05, 0.3, 0, 0.649];
      const logits = probs.map((p) => (p > 0 ? Math.log(p) + 3 : -Infinity));
      const { gpu, cpu, dtype } = await both(() => random.categorical(key(500), tensor(logits), [N]));
      expect(dtype).toBe("int32");
      checkCategorical("Categorical(5, uneven)", gpu, probs);
      checkAgree("Categorical(5, uneven)", gpu, cpu);
    });

    it("per-row logits; 200 categories with Zipf weights", async () => {
      const rows = [
        [0, 0, 0],
        [-5, 0, 2],
        [10, -Infinity, 8],
      ];
      const flat = Array.from({ length: N }, (_, i) => rows[i % 3]!).flat();
      const { gpu, cpu } = await both(() => random.categorical(key(501), tensor(flat, { shape: [N, 3] })));
      rows.forEach((r, j) => {
        const w = r.map((l) => Math.exp(l));
        const s = w.reduce((a, b) => a + b, 0);
        checkCategorical(
          `Categorical(row ${j}) [per-row]`,
          every(gpu, 3, j),
          w.map((x) => x / s),
        );
      });
      checkAgree("Categorical [per-row]", gpu, cpu);

      // Three passes over K logits per draw: N / 2 draws keep SwiftShader's time down.
      const K = 200;
      const zipf = Array.from({ length: K }, (_, j) => 1 / (j + 1));
      const zs = zipf.reduce((a, b) => a + b, 0);
      const z = await both(() => random.categorical(key(502), tensor(zipf.map(Math.log)), [N / 2]));
      checkCategorical(
        "Categorical(200, Zipf)",
        z.gpu,
        zipf.map((x) => x / zs),
      );
      checkAgree("Categorical(200, Zipf)", z.gpu, z.cpu);
    });
  });

  // Invalid parameters: the kernels still write NaN (categorical: -1), but the draw registers
  // the cpu's parameter checks as deferred checks, so the readback throws the cpu's message
  // instead of returning them: test/webgpu/sampler-validation.test.ts.

  it("the statistics reject slightly wrong parameters (power check)", async () => {
    // The GPU draws of Gamma(2.5), Poisson(47.5), Binomial(1000, 0.9) and TN[8, ∞) tested as
    // if their parameter were 3% off (TN: the bound 8.05 instead of 8): every check must fail.
    const g = await values(withBackend(webgpu!, () => random.gamma(key(600), 2.5, [N])));
    expect(ksTest(g, (x) => gammainc(2.5 * 1.03, x)).p).toBeLessThan(P_MIN);
    expect(Math.abs(momentZ(g, 2.5 * 1.03, 2.5 * 1.03, 6 / 2.575).zMean)).toBeGreaterThan(Z_TOL);
    const p = await values(withBackend(webgpu!, () => random.poisson(key(601), 47.5, [N])));
    expect(chiSquareDiscrete(p, poissonPmf(47.5 * 1.03), 0, 150).p).toBeLessThan(P_MIN);
    const b = await values(withBackend(webgpu!, () => random.binomial(key(602), 1000, 0.9, [N])));
    expect(Math.abs(momentZ(b, 1000 * 0.927, 1000 * 0.927 * 0.073, 0).zMean)).toBeGreaterThan(Z_TOL);
    const t = await values(withBackend(webgpu!, () => random.truncatedNormal(key(603), 8, Infinity, [N])));
    expect(
      ksTest(t, (x) =>
        Math.max(x, 8.05) === 8.05 ? 0 : 1 - erfc(x * Math.SQRT1_2) / erfc(8.05 * Math.SQRT1_2),
      ).p,
    ).toBeLessThan(P_MIN);
  });
});
