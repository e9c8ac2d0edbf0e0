/**
 * Laplace-EM with a per-cell log offset (library size, `laplace/log-offset.ts`): PLN counts
 * simulated with libraries differing up to e² ≈ 7.4-fold between cells, u_cg ~
 * Poisson(exp(x_cg + o_c)), o_c spread evenly over [0, 2]. Given the offsets, μ̂ recovers the
 * simulated μ; without them μ̂ is biased up by about mean(o) = 1 (every cell's rates are
 * e^{o_c} times the model's), and the library variance leaks into the fitted covariance. The
 * "log-library" offset o'_c = log(N_c / N̄) removes the library up to a shift common to all
 * genes, δ = mean_c(o_c − o'_c), computed here from the simulation. NBLN likewise (its
 * counts drawn as a Gamma–Poisson mixture with mean exp(x + o)).
 */
import { fromTypedArray } from "@scribe/core";
import { fitLaplace } from "@scribe/models/laplace/fit-laplace.js";
import type { LaplaceResults } from "@scribe/models/laplace/laplace-results.js";
import { describe, expect, it } from "vitest";
import { simulateNbln, simulatePln } from "./laplace-helpers.js";
import { evenLogOffsets, libraryShift } from "./log-offset-fixture.js";
import { rng } from "./vae-helpers.js";

const sim = simulatePln(200, 20, 21);
const { C, G } = sim;
const offsets = evenLogOffsets(C);
const R = rng(22);
const counts = Float64Array.from(sim.x, (v, i) => R.poisson(Math.exp(v + offsets[Math.floor(i / G)]!)));

/** The oracle: each gene's mean of the simulated x (what an estimator that saw x would give). */
const xBar = Array.from({ length: G }, (_, g) => {
  let s = 0;
  for (let c = 0; c < C; c++) s += sim.x[c * G + g]! / C;
  return s;
});

/** A rank-2 Laplace-EM fit of counts [C, G] (40 steps, float64), with the log offset if given. */
function fitLaplaceModel(model: "pln" | "nbln", data: Float64Array, logOffset?: number[] | "log-library") {
  return fitLaplace(fromTypedArray(data, [C, G]), {
    model,
    inferenceMethod: "laplace",
    rank: 2,
    nSteps: 40,
    learningRate: 0.05,
    dtype: "float64",
    ...(logOffset ? { logOffset } : {}),
  });
}

const fitPln = (logOffset?: number[] | "log-library") => fitLaplaceModel("pln", counts, logOffset);

/** Mean over genes of μ̂_g − target_g, and the largest |μ̂_g − target_g − that mean|. */
function muError(res: LaplaceResults, target: number[]): { bias: number; spread: number } {
  const diff = target.map((t, g) => res.mu[g]! - t);
  const bias = diff.reduce((a, b) => a + b, 0) / G;
  return { bias, spread: Math.max(...diff.map((d) => Math.abs(d - bias))) };
}

const meanD = (res: LaplaceResults) => res.d.reduce((a, b) => a + b, 0) / G;

describe("Laplace-EM PLN and NBLN with a per-cell log offset (200 cells × 20 genes, libraries over e²)", () => {
  it("given the offsets μ̂ recovers μ; without them μ̂ is biased by ≈ mean(o) = 1", async () => {
    const withOffset = (await fitPln(offsets)).results;
    const without = (await fitPln()).results;
    const a = muError(withOffset, sim.mu);
    const b = muError(without, sim.mu);
    const oracle = Math.max(...xBar.map((m, g) => Math.abs(m - sim.mu[g]!)));
    console.log(
      `PLN offsets: with, mean(μ̂ − μ) ${a.bias.toFixed(4)} (spread ${a.spread.toFixed(4)}), mean d ${meanD(withOffset).toFixed(4)}; ` +
        `without, mean(μ̂ − μ) ${b.bias.toFixed(4)} (spread ${b.spread.toFixed(4)}), mean d ${meanD(without).toFixed(4)}; oracle max|x̄ − μ| ${oracle.toFixed(4)}`,
    );
    // with: every gene within the oracle's sampling error plus Poisson noise (as laplace-fit's 0.25)
    expect(Math.abs(a.bias)).toBeLessThan(0.1);
    expect(Math.abs(a.bias) + a.spread).toBeLessThan(Math.max(0.25, 2 * oracle));
    // without: the rates are e^{o_c} too large on average, μ̂ absorbs mean(o) = 1 (± the
    // curvature of the log: mean log vs log mean of e^o)
    expect(b.bias).toBeGreaterThan(0.7);
    expect(b.bias).toBeLessThan(1.3);
    // Var(o) = 1/3 per gene has to go somewhere without the offset: into W Wᵀ + diag(d); the
    // fitted total variance Σ_g (Σ_gg) grows by about G/3
    const totalVar = (res: LaplaceResults) => {
      let v = 0;
      for (let i = 0; i < res.W.length; i++) v += res.W[i]! ** 2;
      return v + res.d.reduce((s, x) => s + x, 0);
    };
    console.log(
      `PLN offsets: trace Σ̂ with ${totalVar(withOffset).toFixed(3)}, without ${totalVar(without).toFixed(3)} (G/3 = ${(G / 3).toFixed(3)})`,
    );
    expect(totalVar(without) - totalVar(withOffset)).toBeGreaterThan(0.5 * (G / 3));
  }, 60_000);

  it('"log-library" recovers μ up to the shift δ = mean(o − log(N / N̄)) common to all genes', async () => {
    const delta = libraryShift(counts, offsets, G);
    const lib = (await fitPln("log-library")).results;
    const e = muError(
      lib,
      sim.mu.map((m) => m + delta),
    );
    console.log(
      `PLN log-library: δ ${delta.toFixed(4)}, mean(μ̂ − μ − δ) ${e.bias.toFixed(4)} (spread ${e.spread.toFixed(4)})`,
    );
    expect(Math.abs(e.bias)).toBeLessThan(0.1);
    expect(e.spread).toBeLessThan(0.3);
  }, 60_000);

  it("NBLN: given the offsets μ̂ recovers μ; without them μ̂ is biased by ≈ mean(o) = 1", async () => {
    const r = Array.from({ length: G }, (_, g) => 2 + (g % 4) * 2);
    const nb = simulateNbln(C, G, 23, r);
    const Rn = rng(24);
    const nbCounts = Float64Array.from(nb.x, (v, i) => {
      const rg = r[i % G]!;
      return Rn.poisson((Rn.gamma(rg) / rg) * Math.exp(v + offsets[Math.floor(i / G)]!));
    });
    const fitNb = (logOffset?: number[]) => fitLaplaceModel("nbln", nbCounts, logOffset);
    const a = muError((await fitNb(offsets)).results, nb.mu);
    const b = muError((await fitNb()).results, nb.mu);
    console.log(
      `NBLN offsets: with, mean(μ̂ − μ) ${a.bias.toFixed(4)} (spread ${a.spread.toFixed(4)}); without ${b.bias.toFixed(4)} (spread ${b.spread.toFixed(4)})`,
    );
    expect(Math.abs(a.bias)).toBeLessThan(0.15);
    expect(a.spread).toBeLessThan(0.4); // NB noise at r = 2 on top of the oracle's
    expect(b.bias).toBeGreaterThan(0.7);
    expect(b.bias).toBeLessThan(1.3);
  }, 60_000);

  it("rejects offsets it cannot use, by name", async () => {
    const ok = fromTypedArray(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const base = { inferenceMethod: "laplace", nSteps: 1 } as const;
    await expect(fitLaplace(ok, { ...base, model: "lnm", logOffset: "log-library" })).rejects.toThrow(
      /logOffset is PLN's and NBLN's/,
    );
    await expect(
      fitLaplace(ok, { ...base, model: "pln", logOffset: "library" as "log-library" }),
    ).rejects.toThrow(/logOffset must be "log-library" or 2 numbers, got "library"/);
    await expect(fitLaplace(ok, { ...base, model: "pln", logOffset: [0, Number.NaN] })).rejects.toThrow(
      /logOffset\[1\] is NaN/,
    );
  });
});
