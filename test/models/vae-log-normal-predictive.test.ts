/**
 * Posterior predictive counts of the logistic-normal VAE (`ScribeVAEResults
 * .getPosteriorPredictiveCounts`, pln / nbln / lnm) checked by their moments against the
 * fitted model's closed-form mean. With the linear decoder x = μ + W z + √d ε and
 * q(z | u_c) = N(m_c, diag(s_c²)), x_cg is Normal with mean μ_g + W_g·m_c and variance
 * v_cg = Σ_k W_gk² s_ck² + d_g, so
 * - PLN and NBLN (both with mean eˣ given x): E[u_cg] = exp(μ_g + W_g·m_c + v_cg / 2), and
 *   with the "log-library" offset exp(o_c + …), o_c = log(N_c / N̄) computed here from the counts;
 * - LNM with 2 genes (one ALR coordinate, the reference's logit 0): the non-reference gene has
 *   E[u_c] = N_c E[σ(x_c)], the logistic-normal integral done here by Simpson's rule on
 *   ±10 sd (error ≪ the Monte Carlo error), and every draw sums to the cell's total N_c.
 * The fitted values come from a 5-step fit of tiny data (the check is of the sampler against
 * the model the params define, not of the fit). Tolerance: 5 standard errors of each mean
 * (empirical variance, n draws) plus 1e-3 relative for float32.
 */
import { fromTypedArray, key, type Tensor } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import type { ScribeVAEResults } from "@scribe/models/vae/vae-results.js";
import { describe, expect, it } from "vitest";
import { rng } from "./vae-helpers.js";

const C = 5;
const N_DRAWS = 20_000;
const host = async (t: Tensor) => Array.from((await t.data()) as ArrayLike<number>, Number);

async function fitted(model: "pln" | "nbln" | "lnm", G: number, extra: { logOffset?: "log-library" } = {}) {
  const R = rng(7);
  const X = Float32Array.from({ length: C * G }, () => R.poisson(R.gamma(3) * 2));
  const counts = fromTypedArray(X, [C, G]);
  const { results } = await fit(counts, {
    model,
    inferenceMethod: "vae",
    latentDim: 1,
    encoder: [4],
    nSteps: 5,
    learningRate: 1e-2,
    validation: false,
    seed: 2,
    ...extra,
  });
  return { vae: results as unknown as ScribeVAEResults, counts, X };
}

/** Per (cell, gene): mean and variance of x under q, [C][dim] each, from the fitted linear decoder. */
async function latentMoments(vae: ScribeVAEResults, counts: Tensor) {
  const g = vae.getLatentGaussian();
  const [mu, W, d] = await Promise.all([host(g.mu), host(g.W), host(g.d)]);
  const { loc, scale } = vae.encode(counts);
  const [m, s] = await Promise.all([host(loc), host(scale)]);
  const dim = mu.length;
  const mean = (c: number, j: number) => mu[j]! + W[j]! * m[c]!; // W [dim, 1], z [C, 1]
  const variance = (c: number, j: number) => W[j]! ** 2 * s[c]! ** 2 + d[j]!;
  return { dim, mean, variance };
}

/** Draws [n, C, G] → per (c, g) empirical mean and its standard error. */
async function drawMoments(draws: Tensor, G: number) {
  const v = await host(draws);
  const n = draws.shape[0]!;
  const mean = new Float64Array(C * G);
  const sq = new Float64Array(C * G);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < C * G; k++) {
      mean[k]! += v[i * C * G + k]! / n;
      sq[k]! += v[i * C * G + k]! ** 2 / n;
    }
  const se = mean.map((mk, k) => Math.sqrt(Math.max(sq[k]! - mk * mk, 0) / n));
  return { mean, se, values: v, n };
}

const close = (got: number, want: number, se: number) =>
  expect(Math.abs(got - want)).toBeLessThan(5 * se + 1e-3 * Math.abs(want));

describe("logistic-normal VAE: posterior predictive counts", () => {
  for (const model of ["pln", "nbln"] as const)
    it(`${model}: E[u_cg] = exp(μ_g + W_g·m_c + (Σ_k W_gk² s_ck² + d_g)/2)`, async () => {
      const G = 3;
      const { vae, counts } = await fitted(model, G);
      const { mean, variance } = await latentMoments(vae, counts);
      const draws = vae.getPosteriorPredictiveCounts(counts, key(4), N_DRAWS);
      expect(draws.shape).toEqual([N_DRAWS, C, G]);
      const got = await drawMoments(draws, G);
      expect(got.values.every((u) => Number.isInteger(u) && u >= 0)).toBe(true);
      for (let c = 0; c < C; c++)
        for (let g = 0; g < G; g++)
          close(got.mean[c * G + g]!, Math.exp(mean(c, g) + variance(c, g) / 2), got.se[c * G + g]!);
    }, 60_000);

  it("pln with the log-library offset: E[u_cg] = exp(o_c + μ_g + W_g·m_c + v_cg/2), o_c = log(N_c / N̄)", async () => {
    const G = 3;
    const { vae, counts, X } = await fitted("pln", G, { logOffset: "log-library" });
    const { mean, variance } = await latentMoments(vae, counts);
    const totals = Array.from({ length: C }, (_, c) => X[c * G]! + X[c * G + 1]! + X[c * G + 2]!);
    const nBar = totals.reduce((a, b) => a + b, 0) / C;
    const draws = vae.getPosteriorPredictiveCounts(counts, key(6), N_DRAWS);
    const got = await drawMoments(draws, G);
    for (let c = 0; c < C; c++) {
      const o = Math.log(Math.max(totals[c]!, 1) / nBar);
      for (let g = 0; g < G; g++)
        close(got.mean[c * G + g]!, Math.exp(o + mean(c, g) + variance(c, g) / 2), got.se[c * G + g]!);
    }
  }, 60_000);

  it("lnm (2 genes): draws sum to N_c; E[u_c, non-reference] = N_c E[σ(x_c)] by Simpson's rule", async () => {
    const G = 2;
    const { vae, counts, X } = await fitted("lnm", G);
    const ref = vae.spec.logNormal!.alrReference;
    const other = 1 - ref;
    const { mean, variance } = await latentMoments(vae, counts);
    const draws = vae.getPosteriorPredictiveCounts(counts, key(5), N_DRAWS);
    const got = await drawMoments(draws, G);
    let wrongTotals = 0;
    for (let i = 0; i < got.n; i++)
      for (let c = 0; c < C; c++)
        if (got.values[(i * C + c) * G]! + got.values[(i * C + c) * G + 1]! !== X[c * G]! + X[c * G + 1]!)
          wrongTotals++;
    expect(wrongTotals).toBe(0);
    for (let c = 0; c < C; c++) {
      const [m, sd] = [mean(c, 0), Math.sqrt(variance(c, 0))];
      const steps = 2000; // even
      const h = (20 * sd) / steps;
      let integral = 0;
      for (let j = 0; j <= steps; j++) {
        const x = m - 10 * sd + j * h;
        const f = Math.exp(-0.5 * ((x - m) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI)) / (1 + Math.exp(-x));
        integral += (j === 0 || j === steps ? 1 : j % 2 === 1 ? 4 : 2) * f;
      }
      const total = X[c * G]! + X[c * G + 1]!;
      close(got.mean[c * G + other]!, (total * integral * h) / 3, got.se[c * G + other]!);
    }
  }, 60_000);

  it("is refused for the NB families, naming the method", async () => {
    const counts = fromTypedArray(new Float32Array([1, 2, 3, 4, 0, 1]), [3, 2]);
    const { results } = await fit(counts, {
      model: "nbdm",
      inferenceMethod: "vae",
      latentDim: 1,
      encoder: [2],
      decoder: [2],
      nSteps: 2,
      validation: false,
    });
    expect(() =>
      (results as unknown as ScribeVAEResults).getPosteriorPredictiveCounts(counts, key(0)),
    ).toThrow(/getPosteriorPredictiveCounts: for the logistic-normal models/);
  });
});
