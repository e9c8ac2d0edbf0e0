import { key, tensor } from "@scribe/core";
import { makeConfig, twoStateDenoiseCells } from "@scribe/models";
import { describe, expect, it } from "vitest";
import { lgamma, poissonBetaLogPmf } from "./twostate-reference.js";

// Denoising of the TwoState models: E[m | u] and Var[m | u] of the pre-capture counts against
// an independent route — the biological Poisson–Beta pmf of m thinned binomially to u,
// summed over m in float64 — and the sampler's moments.

const arr = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync(), Number);

/** E[m | u], Var[m | u] with P(m) = PoissonBeta(α, β, r̂) and u | m ~ Binomial(m, ν). */
function thinnedPosterior(
  u: number,
  alpha: number,
  beta: number,
  rHat: number,
  nu: number,
): { mean: number; variance: number } {
  const logs: number[] = [];
  const ms: number[] = [];
  for (let m = u; m <= u + 2000; m++) {
    const lb =
      lgamma(m + 1) - lgamma(u + 1) - lgamma(m - u + 1) + u * Math.log(nu) + (m - u) * Math.log1p(-nu);
    logs.push(poissonBetaLogPmf(m, alpha, beta, rHat) + lb);
    ms.push(m);
    if (m > u + 50 && logs[logs.length - 1]! < Math.max(...logs) - 45) break;
  }
  const mx = Math.max(...logs);
  const w = logs.map((l) => Math.exp(l - mx));
  const z = w.reduce((a, b) => a + b, 0);
  const mean = w.reduce((a, x, i) => a + x * ms[i]!, 0) / z;
  const second = w.reduce((a, x, i) => a + x * ms[i]! * ms[i]!, 0) / z;
  return { mean, variance: second - mean * mean };
}

describe("TwoState denoising", () => {
  // genes (α, β, r̂): smooth, bursty-ish (α < 1), high-β; cells with capture ν and counts u
  const genes = [
    [2, 3, 30],
    [0.7, 1.5, 40],
    [5, 0.6, 20],
  ] as const;
  const nu = [0.4, 0.25, 0.7, 0.9];
  const u = [
    [0, 5, 2],
    [3, 0, 12],
    [10, 9, 0],
    [1, 20, 6],
  ];
  const C = nu.length;
  const G = genes.length;
  const cfg = makeConfig("twostatevcp", { nCells: C, nGenes: G, parameterization: "natural" });
  const draw = {
    alpha: tensor(genes.map((g) => g[0])),
    beta: tensor(genes.map((g) => g[1])),
    r_hat: tensor(genes.map((g) => g[2])),
    p_capture: tensor(nu),
  };
  const counts = tensor(u);

  it("mean and variance match the binomially thinned Poisson–Beta posterior", () => {
    const { denoised, variance } = twoStateDenoiseCells(cfg, counts, draw, null, "mean", key(0));
    const dm = arr(denoised);
    const dv = arr(variance);
    for (let c = 0; c < C; c++)
      for (let g = 0; g < G; g++) {
        const [a, b, r] = genes[g]!;
        const want = thinnedPosterior(u[c]![g]!, a, b, r, nu[c]!);
        const i = c * G + g;
        expect(
          Math.abs(dm[i]! - want.mean) / want.mean,
          `mean c=${c} g=${g}: ${dm[i]} vs ${want.mean}`,
        ).toBeLessThan(1e-4);
        expect(
          Math.abs(dv[i]! - want.variance) / want.variance,
          `var c=${c} g=${g}: ${dv[i]} vs ${want.variance}`,
        ).toBeLessThan(2e-3);
      }
  });

  it("samples: average and spread match the mean and variance; mode is an integer ≥ u", () => {
    // S copies of the 4 cells in one call (the function works on any number of rows)
    const S = 2000;
    const tiled = tensor(Array.from({ length: S }, () => u).flat());
    const x = arr(
      twoStateDenoiseCells(
        cfg,
        tiled,
        { ...draw, p_capture: tensor(Array.from({ length: S }, () => nu).flat()) },
        null,
        "sample",
        key(5),
      ).denoised,
    );
    const sum = new Float64Array(C * G);
    const sum2 = new Float64Array(C * G);
    x.forEach((v, j) => {
      const i = j % (C * G);
      sum[i]! += v;
      sum2[i]! += v * v;
    });
    const { denoised, variance } = twoStateDenoiseCells(cfg, counts, draw, null, "mean", key(0));
    const m = arr(denoised);
    const v = arr(variance);
    let worst = 0;
    for (let i = 0; i < C * G; i++) {
      const mean = sum[i]! / S;
      const z = (mean - m[i]!) / Math.sqrt(v[i]! / S);
      worst = Math.max(worst, Math.abs(z));
      const sv = sum2[i]! / S - mean * mean;
      expect(Math.abs(sv - v[i]!) / v[i]!).toBeLessThan(0.2);
      expect(sum[i]! / S).toBeGreaterThanOrEqual(u[Math.floor(i / G)]![i % G]!);
    }
    console.log(
      `TwoState denoise 'sample' vs 'mean': worst |z| = ${worst.toFixed(2)} over ${C * G} entries (S = ${S})`,
    );
    expect(worst).toBeLessThan(4.5);
    const mode = arr(twoStateDenoiseCells(cfg, counts, draw, null, "mode", key(0)).denoised);
    mode.forEach((x, i) => {
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(u[Math.floor(i / G)]![i % G]!);
    });
  });

  it("without capture the counts are returned unchanged; mixtures pick the component", () => {
    const noCap = makeConfig("twostate", { nCells: C, nGenes: G, parameterization: "natural" });
    const { denoised, variance } = twoStateDenoiseCells(
      noCap,
      counts,
      { alpha: draw.alpha, beta: draw.beta, r_hat: draw.r_hat },
      null,
      "mean",
      key(0),
    );
    expect(arr(denoised)).toEqual(u.flat());
    expect(arr(variance)).toEqual(new Array(C * G).fill(0));
    const mix = makeConfig("twostatevcp", {
      nCells: C,
      nGenes: G,
      parameterization: "natural",
      nComponents: 2,
    });
    const two = (t: { dataSync(): ArrayLike<number> }, f: number) =>
      tensor([arr(t), arr(t).map((x) => x * f)]);
    const mdraw = {
      alpha: two(draw.alpha, 2),
      beta: two(draw.beta, 1),
      r_hat: two(draw.r_hat, 0.5),
      p_capture: draw.p_capture,
      mixing_weights: tensor([0.5, 0.5]),
    };
    const k0 = arr(twoStateDenoiseCells(mix, counts, mdraw, 0, "mean", key(0)).denoised);
    expect(k0).toEqual(arr(twoStateDenoiseCells(cfg, counts, draw, null, "mean", key(0)).denoised));
    const perCell = arr(
      twoStateDenoiseCells(
        mix,
        counts,
        mdraw,
        tensor(new Int32Array([0, 1, 1, 0]), { shape: [4] }),
        "mean",
        key(0),
      ).denoised,
    );
    const k1 = arr(twoStateDenoiseCells(mix, counts, mdraw, 1, "mean", key(0)).denoised);
    perCell.forEach((x, i) => {
      expect(x).toBe([0, 3].includes(Math.floor(i / G)) ? k0[i] : k1[i]);
    });
  });
});
