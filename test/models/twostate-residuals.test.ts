/**
 * Randomized quantile residuals of TwoState fits (issue 15): the Poisson–Beta CDF pair of
 * comparison/two-state-cdf.ts against the closed-form pmf of twostate-reference.ts (the
 * hypergeometric series, independent of the quadrature), summed in float64; then the
 * residuals of counts simulated from a fitted twostate / twostatevcp model at its MAP must
 * look standard normal (KS p > 0.01 for every gene), and those of Poisson counts with the
 * same means (far less dispersed) must not.
 */
import { handlers, key, random, type SampleMessage, seed, type Tensor, tensor, trace } from "@scribe/core";
import {
  fit,
  quantileResiduals,
  type ScribeResults,
  twoStateCdfPair,
  twoStatePredictiveDraw,
  twostate,
  twostatevcp,
} from "@scribe/models";
import { describe, expect, it } from "vitest";
import { poissonBetaLogPmf } from "./twostate-reference.js";

/** F(u) by the closed-form pmf summed from 0. */
function refCdf(u: number, alpha: number, beta: number, lambda: number): number {
  let s = 0;
  for (let k = 0; k <= u; k++) s += Math.exp(poissonBetaLogPmf(k, alpha, beta, lambda));
  return s;
}

describe("TwoState CDF pair vs the closed-form Poisson–Beta pmf", () => {
  // bursty (α < 1), U-shaped (α, β < 1), near-Poisson (large α, β) and large-rate genes
  const genes = [
    { alpha: 0.3, beta: 2, rHat: 40 },
    { alpha: 0.5, beta: 0.7, rHat: 12 },
    { alpha: 30, beta: 40, rHat: 20 },
    { alpha: 2, beta: 5, rHat: 150 },
  ];
  const G = genes.length;
  const counts = [
    [0, 0, 9, 20],
    [3, 1, 7, 43],
    [17, 11, 12, 90],
    [1, 6, 0, 0],
  ];
  const Cc = counts.length;
  const u = counts.flat();

  it("twostate (one table per gene) and twostatevcp (per-cell rate), float64 to 1e-12", async () => {
    const host = {
      K: 1,
      G,
      alpha: Float64Array.from(genes, (g) => g.alpha),
      beta: Float64Array.from(genes, (g) => g.beta),
      rHat: Float64Array.from(genes, (g) => g.rHat),
      pCapture: null,
      weights: null,
    };
    const { lo, hi } = await twoStateCdfPair(u, 0, Cc, host, 192);
    const nu = [0.9, 0.2, 0.55, 1e-9, 0.7]; // the fourth is floored at 1e-6 (as the log-likelihood does)
    // cells 1 … 4 of a five-cell fit: the capture is indexed from c0
    const vcp = await twoStateCdfPair(u, 1, Cc, { ...host, pCapture: Float64Array.from(nu) }, 192);
    let worst = 0;
    for (let c = 0; c < Cc; c++)
      for (let g = 0; g < G; g++) {
        const { alpha, beta, rHat } = genes[g]!;
        const n = counts[c]![g]!;
        const j = c * G + g;
        const lam = rHat * Math.max(nu[c + 1]!, 1e-6);
        const checks: [number, number][] = [
          [hi[j]!, refCdf(n, alpha, beta, rHat)],
          [lo[j]!, n > 0 ? refCdf(n - 1, alpha, beta, rHat) : 0],
          [vcp.hi[j]!, refCdf(n, alpha, beta, lam)],
          [vcp.lo[j]!, n > 0 ? refCdf(n - 1, alpha, beta, lam) : 0],
        ];
        for (const [got, want] of checks) {
          worst = Math.max(worst, Math.abs(got - want));
          // float64 pmf (≤ 2e-13 relative) summed over ≤ 91 terms
          expect(Math.abs(got - want), `cell ${c}, gene ${g}: ${got} vs ${want}`).toBeLessThan(1e-12);
        }
      }
    console.log(`[twostate-residuals] worst |F − F_ref| = ${worst.toExponential(2)}`);
  });

  it("mixtures: the π-weighted CDF of per-component (α, β, r̂)", async () => {
    const w = [0.3, 0.7];
    const comp = [genes, genes.map((g) => ({ alpha: g.alpha * 2, beta: g.beta + 1, rHat: g.rHat / 2 }))];
    const flat = (f: (x: (typeof genes)[number]) => number) => Float64Array.from(comp.flat(), f);
    const host = {
      K: 2,
      G,
      alpha: flat((g) => g.alpha),
      beta: flat((g) => g.beta),
      rHat: flat((g) => g.rHat),
      pCapture: null,
      weights: Float64Array.from(w),
    };
    const { lo, hi } = await twoStateCdfPair(u, 0, Cc, host, 192);
    for (let c = 0; c < Cc; c++)
      for (let g = 0; g < G; g++) {
        const n = counts[c]![g]!;
        const ref = (m: number) =>
          m < 0
            ? 0
            : w.reduce(
                (s, wk, k) => s + wk * refCdf(m, comp[k]![g]!.alpha, comp[k]![g]!.beta, comp[k]![g]!.rHat),
                0,
              );
        expect(Math.abs(hi[c * G + g]! - ref(n))).toBeLessThan(1e-12);
        expect(Math.abs(lo[c * G + g]! - ref(n - 1))).toBeLessThan(1e-12);
      }
  });

  it("rejects non-integer counts by cell and gene", async () => {
    const host = {
      K: 1,
      G: 2,
      alpha: Float64Array.of(1, 1),
      beta: Float64Array.of(1, 1),
      rHat: Float64Array.of(1, 1),
      pCapture: null,
      weights: null,
    };
    await expect(twoStateCdfPair([0, 1, 2.5, 0], 10, 2, host, 32)).rejects.toThrow(/cell 11, gene 0/);
  });
});

/** Counts drawn from a model's prior predictive with the given latent values substituted. */
function simulate(
  model: (counts?: Tensor | null) => void,
  values: Record<string, Tensor>,
  s: number,
): Tensor {
  const tr = trace(seed(handlers.substitute(model, values), key(s))).getTrace(null);
  return (tr.get("counts") as SampleMessage).value!;
}

/**
 * Counts drawn from the fitted model at its MAP, and Poisson counts with the same per-cell
 * means; residuals of the first must look N(0, 1), those of the second (underdispersed) not.
 */
async function checkResiduals(
  results: ScribeResults,
  label: string,
  minOverdispersed: number,
): Promise<void> {
  const map = results.getMap();
  const fromModel = twoStatePredictiveDraw(results.config, map, key(21));
  const C = results.nCells;
  const G = results.nGenes;
  const nu = map.p_capture ? map.p_capture.reshape([C, 1]) : tensor(1);
  const mean = map.r_hat!.mul(map.alpha!).div(map.alpha!.add(map.beta!)).reshape([1, G]).mul(nu);
  const poisson = random.poisson(key(22), mean.expand([C, G]));
  const good = await quantileResiduals(results, fromModel, { seed: 5 });
  const bad = await quantileResiduals(results, poisson, { seed: 5 });
  // Fano factor of the fitted Poisson–Beta (without capture): 1 + r̂β/((α+β)(α+β+1))
  const [a, b, r] = await Promise.all([map.alpha!.data(), map.beta!.data(), map.r_hat!.data()]);
  const fano = Array.from({ length: G }, (_, g) => {
    const s = Number(a[g]) + Number(b[g]);
    return 1 + (Number(r[g]) * Number(b[g])) / (s * (s + 1));
  });
  console.log(
    `[twostate-residuals] ${label}: Fano ${fano.map((f) => f.toFixed(2)).join(" ")}\n` +
      `  KS p, model draws:   ${Array.from(good.ksPValue, (p) => p.toFixed(3)).join(" ")}\n` +
      `  KS p, Poisson draws: ${Array.from(bad.ksPValue, (p) => p.toExponential(1)).join(" ")}\n` +
      `  residual variance, Poisson draws: ${Array.from(bad.variance, (v) => v.toFixed(2)).join(" ")}`,
  );
  for (let g = 0; g < G; g++) {
    expect(good.ksPValue[g], `${label}: gene ${g}, draws from the fitted model`).toBeGreaterThan(0.01);
    expect(Math.abs(good.mean[g]!), `${label}: gene ${g} residual mean`).toBeLessThan(0.3);
    // overdispersed genes: Poisson counts are too concentrated for the fitted law
    if (fano[g]! > 2) {
      expect(bad.ksPValue[g], `${label}: gene ${g} (Fano ${fano[g]}), Poisson draws`).toBeLessThan(1e-3);
      expect(bad.variance[g]!).toBeLessThan(0.8);
    }
  }
  expect(
    fano.filter((f) => f > 2).length,
    `${label}: overdispersed genes to test against`,
  ).toBeGreaterThanOrEqual(minOverdispersed);
}

describe("TwoState quantile residuals on data simulated from the fitted model", () => {
  // mean-Fano truth: gene means 2 … 40, excess Fano 0.5 … 6
  const mu = [2, 5, 10, 20, 40, 8];
  const excess = [0.5, 2, 3, 6, 4, 1.5];
  const conc = [4, 2, 4, 3, 4, 6];

  it("twostate: uniform for draws of the fitted model, not for Poisson draws of the same means", async () => {
    const C = 300;
    const G = mu.length;
    const Q = 32; // quadrature nodes: enough for these smooth Beta laws (cf. twostate-fit.test.ts)
    const { model } = twostate({ nCells: C, nGenes: G, parameterization: "mean_fano", nQuadNodes: Q });
    const counts = simulate(
      model,
      { mu: tensor(mu), excess_fano: tensor(excess), concentration: tensor(conc) },
      3,
    );
    const { results } = await fit(counts, {
      model: "twostate",
      parameterization: "mean_fano",
      nQuadNodes: Q,
      // short fit: the residuals are of draws from the fitted model itself, so they are uniform
      // whatever the fit's quality; it only has to leave genes overdispersed (counted below)
      nSteps: 60,
      learningRate: 0.05,
      seed: 1,
    });
    await checkResiduals(results, "twostate", 4);
  }, 180_000);

  it("twostatevcp: per-cell capture in the CDF", async () => {
    const C = 240;
    const G = 4;
    const Q = 32;
    const { model } = twostatevcp({ nCells: C, nGenes: G, parameterization: "ratio", nQuadNodes: Q });
    const nu = Array.from({ length: C }, (_, c) => 0.3 + (0.6 * c) / C);
    const counts = simulate(
      model,
      {
        mu: tensor([8, 20, 50, 5]),
        burst_size: tensor([3, 6, 10, 2]),
        switching_ratio: tensor([3, 1, 2, 5]),
        p_capture: tensor(nu),
      },
      4,
    );
    const { results } = await fit(counts, {
      model: "twostatevcp",
      parameterization: "ratio",
      nQuadNodes: Q,
      // 200 steps: after 60 no gene is overdispersed enough (Fano > 2) to test the Poisson draws
      nSteps: 200,
      learningRate: 0.05,
      seed: 2,
    });
    await checkResiduals(results, "twostatevcp", 2);
  }, 180_000);
});
