import { tensor } from "@scribe/core";
import {
  autocorrelation,
  autocovariance,
  autocovarianceDirect,
  bulkEss,
  effectiveSampleSize,
  fft,
  formatSummary,
  gelmanRubin,
  hpdi,
  quantile,
  rankNormalize,
  rankNormalizedSplitRhat,
  splitRhat,
  summarizeSamples,
  summary,
  tailEss,
} from "@scribe/infer/diagnostics/index.js";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../helpers/numeric.js";

function normals(seed: number): () => number {
  const u = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** AR(1) with unit stationary variance: x_t = ρ x_{t−1} + √(1−ρ²) ε_t. */
function ar1(n: number, rho: number, seed: number, shift = 0, scale = 1): Float64Array {
  const z = normals(seed);
  const x = new Float64Array(n);
  let prev = z();
  const s = Math.sqrt(1 - rho * rho);
  for (let i = 0; i < n; i++) {
    prev = rho * prev + s * z();
    x[i] = shift + scale * prev;
  }
  return x;
}

describe("FFT and autocorrelation", () => {
  it("FFT of an impulse and round trip", () => {
    const re = new Float64Array([1, 2, 3, 4, 0, 0, 0, 0]);
    const im = new Float64Array(8);
    fft(re, im);
    expect(re[0]).toBeCloseTo(10, 12);
    fft(re, im, true);
    expect(Array.from(re.map((v) => v / 8))).toEqual(
      [1, 2, 3, 4, 0, 0, 0, 0].map((v) => expect.closeTo(v, 12)),
    );
    expect(() => fft(new Float64Array(6), new Float64Array(6))).toThrow(/power of two/);
  });

  it("FFT autocovariance equals the direct sum", () => {
    const x = ar1(777, 0.7, 3);
    const a = autocovariance(x);
    const b = autocovarianceDirect(x);
    for (let t = 0; t < x.length; t++) expect(a[t]).toBeCloseTo(b[t]!, 10);
    expect(Array.from(autocovariance([1, -1, 1, -1]))).toEqual(
      [1, -0.75, 0.5, -0.25].map((v) => expect.closeTo(v, 12)),
    );
  });

  it("AR(1) autocorrelation decays like ρ^t", () => {
    const r = autocorrelation(ar1(100000, 0.8, 5));
    for (const t of [1, 2, 5]) expect(r[t]).toBeCloseTo(0.8 ** t, 1);
  });
});

describe("effective sample size on AR(1) chains", () => {
  const n = 5000;
  const m = 4;
  it.each([0.9, 0.5, 0, -0.3])("ρ = %s: ESS ≈ m·n(1−ρ)/(1+ρ)", (rho) => {
    const chains = Array.from({ length: m }, (_, c) => ar1(n, rho, 100 + c));
    const expected = (m * n * (1 - rho)) / (1 + rho);
    const ess = effectiveSampleSize(chains);
    const bulk = bulkEss(chains);
    // Sampling error of the ESS estimate is a few percent here.
    expect(Math.abs(ess / expected - 1)).toBeLessThan(0.15);
    expect(Math.abs(bulk / expected - 1)).toBeLessThan(0.15);
    const tail = tailEss(chains);
    expect(tail).toBeGreaterThan(0.25 * expected);
    expect(tail).toBeLessThan(2.5 * expected);
  });

  it("a constant quantity has no ESS", () => {
    expect(effectiveSampleSize([new Float64Array(10).fill(2)])).toBeNaN();
    expect(() => effectiveSampleSize([new Float64Array(10), new Float64Array(9)])).toThrow(/equally long/);
    expect(() => bulkEss([new Float64Array([1, 2, Number.NaN, 4, 5])])).toThrow(/finite/);
  });
});

describe("R-hat", () => {
  const m = 4;
  const n = 2000;
  it("is close to 1 for chains from one distribution", () => {
    const chains = Array.from({ length: m }, (_, c) => ar1(n, 0.5, 200 + c));
    expect(Math.abs(gelmanRubin(chains) - 1)).toBeLessThan(0.01);
    expect(Math.abs(splitRhat(chains) - 1)).toBeLessThan(0.01);
    expect(Math.abs(rankNormalizedSplitRhat(chains) - 1)).toBeLessThan(0.01);
  });

  it("matches the closed form for chains with shifted means", () => {
    // Two iid N(±δ, 1) chains: W ≈ 1, B/n ≈ 2δ², so R̂ ≈ √((n−1)/n + 2δ²).
    const d = 0.5;
    const chains = [ar1(n, 0, 1, -d), ar1(n, 0, 2, d)];
    expect(gelmanRubin(chains)).toBeCloseTo(Math.sqrt((n - 1) / n + 2 * d * d), 1);
    expect(rankNormalizedSplitRhat(chains)).toBeGreaterThan(1.1);
  });

  it("split R-hat catches a drifting single chain; the rank-normalized one catches unequal scales", () => {
    const drift = ar1(n, 0.5, 9).map((v, i) => v + (3 * i) / n);
    expect(splitRhat([drift])).toBeGreaterThan(1.1);
    const chains = [ar1(n, 0, 11), ar1(n, 0, 12), ar1(n, 0, 13, 0, 4), ar1(n, 0, 14, 0, 4)];
    expect(Math.abs(splitRhat(chains) - 1)).toBeLessThan(0.02);
    expect(rankNormalizedSplitRhat(chains)).toBeGreaterThan(1.1);
  });
});

describe("quantiles, HPDI, rank normalization and the summary", () => {
  it("quantile interpolates like NumPy", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0.25)).toBeCloseTo(1.75, 15);
    expect(quantile([5], 0.9)).toBe(5);
  });

  it("HPDI is the narrowest interval and matches normal quantiles for a normal sample", () => {
    expect(
      hpdi(
        Float64Array.from({ length: 101 }, (_, i) => i),
        0.5,
      ),
    ).toEqual([0, 50]);
    const skew = Float64Array.from({ length: 1000 }, (_, i) => ((i + 0.5) / 1000) ** 3);
    const [lo] = hpdi(skew, 0.5);
    expect(lo).toBeLessThan(1e-6); // a density piling up at 0 puts the HPDI at 0
    const x = ar1(200000, 0, 21);
    const [a, b] = hpdi(x, 0.9);
    expect(a).toBeCloseTo(-1.645, 1);
    expect(b).toBeCloseTo(1.645, 1);
  });

  it("rank normalization keeps the order and maps to normal scores", () => {
    const z = rankNormalize([new Float64Array([3, 1]), new Float64Array([2, 10])]);
    expect(z[0]![1]! < z[1]![0]! && z[1]![0]! < z[0]![0]! && z[0]![0]! < z[1]![1]!).toBe(true);
    expect(z[0]![1]! + z[1]![1]!).toBeCloseTo(0, 12);
  });

  it("summarizes sites component by component", () => {
    const chains = [0, 1].map((c) => {
      const a = ar1(500, 0.3, 40 + c);
      const b = ar1(500, 0.3, 50 + c, 2);
      const out = new Float64Array(1000);
      for (let i = 0; i < 500; i++) {
        out[2 * i] = a[i]!;
        out[2 * i + 1] = b[i]!;
      }
      return out;
    });
    const rows = summary([{ name: "x", shape: [2], chains }]);
    expect(rows.map((r) => r.name)).toEqual(["x[0]", "x[1]"]);
    expect(rows[1]!.mean).toBeCloseTo(2, 0);
    expect(rows[0]!.nEff).toBeGreaterThan(300);
    expect(formatSummary(rows)).toMatch(/n_eff.*r_hat/);
  });

  it("short chains: split ESS needs 8 draws per chain (a clear error); the summary gives NaN there, not an error", () => {
    const six = [Float64Array.from([0.1, 0.5, -0.2, 0.9, 0.3, -0.4])];
    expect(() => bulkEss(six)).toThrow("bulkEss: need at least 8 draws per chain, got 6");
    expect(() => tailEss(six)).toThrow("tailEss: need at least 8 draws per chain, got 6");
    const [row] = summary([{ name: "a", shape: [], chains: six }]);
    expect(row!.nEff).toBeNaN();
    expect(row!.essTail).toBeNaN();
    expect(row!.rHat).toBe(rankNormalizedSplitRhat(six));
    expect(row!.mean).toBeCloseTo(0.2, 12);
  });

  it("summarizeSamples reads [chains, draws, ...] tensors with await and equals summary on the same arrays", async () => {
    const a = [0, 1].map((c) => ar1(200, 0.5, 60 + c));
    const b = [0, 1].map((c) => ar1(200, 0.5, 70 + c, 3));
    // [2 chains, 200 draws, 2 components], row-major; float64 so the values are the arrays' own.
    const flat = new Float64Array(800);
    for (let c = 0; c < 2; c++)
      for (let i = 0; i < 200; i++) {
        flat[c * 400 + 2 * i] = a[c]![i]!;
        flat[c * 400 + 2 * i + 1] = b[c]![i]!;
      }
    const x = tensor(flat, { dtype: "float64", shape: [2, 200, 2] });
    const rows = await summarizeSamples({ x });
    const chains = [0, 1].map((c) => flat.subarray(c * 400, (c + 1) * 400));
    expect(rows).toEqual(summary([{ name: "x", shape: [2], chains }]));
    // One chain, draws first (groupByChain false): [200] → one row from one chain.
    const one = await summarizeSamples({ y: tensor(a[0]!, { dtype: "float64" }) }, { groupByChain: false });
    expect(one).toEqual(summary([{ name: "y", shape: [], chains: [a[0]!] }]));
    await expect(summarizeSamples({ z: tensor([1, 2, 3]) })).rejects.toThrow(
      "summarizeSamples: site 'z' has shape [3]; expected [numChains, numDraws, ...]",
    );
  });
});
