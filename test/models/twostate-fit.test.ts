import { handlers, key, type SampleMessage, seed, type Tensor, tensor, trace } from "@scribe/core";
import { fit, ScribeResults, twostate, twostatevcp } from "@scribe/models";
import { describe, expect, it } from "vitest";
import { moments, naturalMap, poissonBetaLogPmf } from "./twostate-reference.js";

// SVI on data simulated from the TwoState models themselves (known gene parameters), and the
// results methods on a TwoState fit.

const arr = (t: { dataSync(): ArrayLike<number | boolean> }) => Array.from(t.dataSync(), Number);

/** Counts drawn from a model's prior predictive with the given latent values substituted. */
function simulate(
  model: (counts?: Tensor | null) => void,
  values: Record<string, Tensor>,
  seedValue: number,
): Tensor {
  const tr = trace(seed(handlers.substitute(model, values), key(seedValue))).getTrace(null);
  return (tr.get("counts") as SampleMessage).value!;
}

const C = 150;
// mean-Fano truth: gene means 2 … 40, excess Fano 0.5 … 4, concentration 4
const muTrue = [2, 5, 10, 20, 40, 8];
const eTrue = [0.5, 1, 2, 4, 3, 1.5];
const kTrue = [4, 4, 4, 4, 4, 4];
const G = muTrue.length;

describe("TwoState SVI recovers the gene means of simulated data", () => {
  // 64 Gauss–Legendre nodes: enough for these smooth Beta laws, and 4× cheaper than 256
  const Q = 64;
  const postMean = (res: ScribeResults, name: string) =>
    arr(res.getPosteriorSamples({ nSamples: 200, seed: 3 })[name]!.mean(0));

  it("twostate mean_fano (data-anchored mu): posterior mean mu within 3 SE + 8 % of the truth, excess Fano within a factor 2", async () => {
    const { model } = twostate({ nCells: C, nGenes: G, parameterization: "mean_fano", nQuadNodes: Q });
    const counts = simulate(
      model,
      { mu: tensor(muTrue), excess_fano: tensor(eTrue), concentration: tensor(kTrue) },
      5,
    );
    // the simulated data have the moments of the SCRIBE two-state models; SE of a gene's sample mean = √(Var/C)
    const emp = arr(counts.mean(0));
    const se = muTrue.map((m, g) => {
      const { alpha, beta, rHat } = naturalMap("two_state_mean_fano", m, eTrue[g]!, kTrue[g]!);
      return Math.sqrt(moments(alpha, beta, rHat).variance / C);
    });
    emp.forEach((x, g) => {
      expect(Math.abs(x - muTrue[g]!)).toBeLessThan(4 * se[g]!);
    });
    const { results } = await fit(counts, {
      model: "twostate",
      parameterization: "mean_fano",
      nQuadNodes: Q,
      nSteps: 300,
      learningRate: 0.05,
      seed: 1,
    });
    const loss = results.lossHistory;
    expect(loss[loss.length - 1]!).toBeLessThan(loss[0]!);
    const mu = postMean(results, "mu");
    const e = postMean(results, "excess_fano");
    const muErr = Math.max(...mu.map((m, g) => Math.abs(m - muTrue[g]!) / muTrue[g]!));
    const eRatio = Math.max(...e.map((x, g) => Math.max(x / eTrue[g]!, eTrue[g]! / x)));
    console.log(
      `twostate mean_fano: max rel err of mu = ${muErr.toFixed(3)}, worst excess-Fano ratio = ${eRatio.toFixed(2)}`,
    );
    mu.forEach((m, g) => {
      expect(Math.abs(m - muTrue[g]!), `gene ${g}: ${m} vs ${muTrue[g]}`).toBeLessThan(
        3 * se[g]! + 0.08 * muTrue[g]!,
      );
    });
    expect(eRatio).toBeLessThan(2);
    // the MAP's derived sites satisfy E = r̂α/(α+β) = mu
    const map = results.getMap();
    const [a, b, r, mm] = [arr(map.alpha!), arr(map.beta!), arr(map.r_hat!), arr(map.mu!)];
    mm.forEach((m, g) => {
      expect(Math.abs(moments(a[g]!, b[g]!, r[g]!).mean - m) / m).toBeLessThan(1e-4);
    });
  }, 180_000);

  it("twostate natural without the data anchor (priors.mu = N(0, 1)): SVI moves mu from 1 to within 10 % of the truth", async () => {
    const { model } = twostate({ nCells: C, nGenes: G, parameterization: "natural", nQuadNodes: Q });
    const counts = simulate(
      model,
      { mu: tensor(muTrue), burst_size: tensor(eTrue), k_off: tensor(muTrue.map(() => 6)) },
      6,
    );
    const { results } = await fit(counts, {
      model: "twostate",
      parameterization: "natural",
      unconstrained: true,
      priors: { mu: [0, 1] },
      nQuadNodes: Q,
      nSteps: 400,
      learningRate: 0.05,
      seed: 2,
    });
    expect(results.meta.muPriorLoc).toBeUndefined();
    const mu = postMean(results, "mu");
    const muErr = Math.max(...mu.map((m, g) => Math.abs(m - muTrue[g]!) / muTrue[g]!));
    console.log(`twostate natural (no anchor): max rel err of mu = ${muErr.toFixed(3)}`);
    expect(muErr).toBeLessThan(0.1);
  }, 180_000);
});

describe("results of a twostatevcp fit", () => {
  it("MAP and samples carry the two-state sites (SCRIBE two-state models); log-likelihood, PPC, slicing, save/load", async () => {
    const Cs = 60;
    const { model } = twostatevcp({ nCells: Cs, nGenes: 4, parameterization: "ratio", nQuadNodes: 32 });
    const nu = Array.from({ length: Cs }, (_, c) => 0.3 + (0.6 * c) / Cs);
    const counts = simulate(
      model,
      {
        mu: tensor([4, 10, 25, 2]),
        burst_size: tensor([1, 2, 3, 1]),
        switching_ratio: tensor([3, 1, 2, 5]),
        p_capture: tensor(nu),
      },
      7,
    );
    const { results } = await fit(counts, {
      model: "twostatevcp",
      parameterization: "ratio",
      nSteps: 60,
      learningRate: 0.05,
    });
    expect(results.config.nQuadNodes).toBe(128);
    expect((results.meta.muPriorLoc as number[]).length).toBe(4);
    const map = results.getMap();
    for (const n of [
      "mu",
      "burst_size",
      "switching_ratio",
      "k_off",
      "k_on",
      "alpha",
      "beta",
      "r_hat",
      "eta_act",
      "effective_burst_size",
      "alpha_floor_active",
      "beta_floor_active",
    ])
      expect([...map[n]!.shape], n).toEqual([4]);
    expect([...map.p_capture!.shape]).toEqual([Cs]);
    expect(map.p).toBeUndefined();
    // log-likelihood at the MAP = Σ_g exact log-pmf with the MAP's α, β, r̂ and ν_c (ν floored at
    // 1e−6: a 60-step fit leaves some Beta capture factors with their mode at 0)
    const ll = arr(results.logLikelihoodMap(counts));
    const [a, b, r, pc, u] = [
      arr(map.alpha!),
      arr(map.beta!),
      arr(map.r_hat!),
      arr(map.p_capture!),
      arr(counts),
    ];
    ll.forEach((v, c) => {
      let want = 0;
      const nuc = Math.min(Math.max(pc[c]!, 1e-6), 1);
      for (let g = 0; g < 4; g++) want += poissonBetaLogPmf(u[c * 4 + g]!, a[g]!, b[g]!, r[g]! * nuc);
      expect(Math.abs(v - want)).toBeLessThan(1e-4 * Math.abs(want) + 1e-4);
    });
    const post = results.logLikelihood(counts, { nSamples: 3, returnBy: "gene" });
    expect([...post.shape]).toEqual([3, 4]);
    const samples = results.getPosteriorSamples({ nSamples: 5 });
    expect([...samples.r_hat!.shape]).toEqual([5, 4]);
    expect([...results.getPpcSamples({ nSamples: 2 }).shape]).toEqual([2, Cs, 4]);
    const bio = results.getPpcSamplesBiological({ nSamples: 200 });
    // biological PPC: no capture, so its gene means are near mu (not mu·ν)
    const bioMean = arr(bio.mean([0, 1]));
    const mu = arr(map.mu!);
    const muS = arr(samples.mu!.mean(0));
    bioMean.forEach((m, g) => {
      expect(Math.abs(m - mu[g]!) / mu[g]!).toBeLessThan(0.25 + Math.abs(muS[g]! - mu[g]!) / mu[g]!);
    });
    // Denoising through the results class: the MAP posterior mean of the true counts is at least
    // the observed count (capture only removes molecules) and equals it where ν_c = 1 would;
    // the posterior over draws has the draws' shape.
    const den = arr(results.denoiseCountsMap(counts, { method: "mean" }));
    den.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(u[i]! - 1e-4);
    });
    const denPost = results.denoiseCountsPosterior(counts, { nSamples: 2 });
    expect([...denPost.denoised.shape]).toEqual([2, Cs, 4]);
    const sub = results.subsetGenes([2, 0]);
    expect(arr(sub.getMap().mu!)).toEqual([mu[2], mu[0]]);
    const back = ScribeResults.fromJSON(JSON.parse(JSON.stringify(results.toJSON())));
    const rBack = arr(back.getMap().r_hat!);
    arr(map.r_hat!).forEach((x, g) => {
      expect(Math.abs(rBack[g]! - x) / x).toBeLessThan(1e-6);
    });
    expect(back.config.parameterization).toBe("two_state_ratio");
  }, 180_000);

  it("mixture fit runs; annotation keys and NB-only options are rejected", async () => {
    const counts = tensor(Array.from({ length: 30 }, (_, c) => [c % 3, (c * 7) % 5, c < 15 ? 1 : 9]));
    const { results } = await fit(counts, {
      model: "twostate",
      parameterization: "delta",
      nComponents: 2,
      nQuadNodes: 16,
      nSteps: 20,
      learningRate: 0.05,
    });
    expect([...results.getMap().alpha!.shape]).toEqual([2, 3]);
    expect([...results.cellTypeProbabilitiesMap(counts).shape]).toEqual([30, 2]);
    await expect(fit(counts, { model: "twostate", nSteps: 1 })).rejects.toThrow(
      /needs a TwoState parameterization/,
    );
    await expect(
      fit(counts, {
        model: "twostatevcp",
        parameterization: "natural",
        priors: { phi_capture: [1, 1] },
        nSteps: 1,
      }),
    ).rejects.toThrow(/p_capture only/);
  }, 180_000);
});
