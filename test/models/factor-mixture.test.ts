/**
 * Multi-factor designs with mixtures (`families/dataset-factors.ts`): a mixture target gets
 * per-component bases and factor effects, so θ has SCRIBE's dataset shape (K, D, G). A seeded
 * two-cell-type simulation whose condition effect differs between the types (up in type A's
 * genes 0–3, down in type B's genes 4–7) is recovered per component; `getComponent` takes a
 * component's base and effects.
 */
import { key, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, latentSiteSpecs, makeConfig } from "@scribe/models";
import { createAnnData } from "@scribe/models/io/index.js";
import { describe, expect, it } from "vitest";

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);
const G = 10;

/** Type A / B base log means, and each type's condition (stim vs ctrl) and donor effects. */
const TRUTH = {
  base: [
    Array.from({ length: G }, (_, g) => Math.log(g < 5 ? 20 : 2)),
    Array.from({ length: G }, (_, g) => Math.log(g < 5 ? 2 : 20)),
  ],
  condition: [
    Array.from({ length: G }, (_, g) => (g < 4 ? Math.log(2) : 0)),
    Array.from({ length: G }, (_, g) => (g >= 4 && g < 8 ? -Math.log(2) : 0)),
  ],
  donor: [Array.from({ length: G }, (_, g) => (g % 2 ? 0.3 : 0)), Array.from({ length: G }, () => 0)],
};

/** 40 cells of each type in each donor × condition combination: NB(mean μ, p = 0.5). */
function simulate() {
  const cells: { type: number; donor: number; cond: number }[] = [];
  for (let donor = 0; donor < 2; donor++)
    for (let cond = 0; cond < 2; cond++)
      for (let type = 0; type < 2; type++) for (let i = 0; i < 40; i++) cells.push({ type, donor, cond });
  const C = cells.length;
  const mu = cells.flatMap(({ type, donor, cond }) =>
    TRUTH.base[type]!.map((b, g) =>
      Math.exp(b + cond * TRUTH.condition[type]![g]! + donor * TRUTH.donor[type]![g]!),
    ),
  );
  const counts = new NegativeBinomialProbs(
    tensor(mu).reshape([C, G]),
    tensor(0.5).expand([C, G]),
    false,
  ).sample(key(21));
  return createAnnData({
    X: { format: "dense", data: Float32Array.from(counts.dataSync() as ArrayLike<number>), shape: [C, G] },
    obs: {
      index: cells.map((_, c) => `c${c}`),
      columns: {
        donor: cells.map((x) => `donor${x.donor}`),
        condition: cells.map((x) => (x.cond ? "stim" : "ctrl")),
      },
    },
  });
}

describe("multi-factor designs with mixtures", () => {
  it("per-component sites: base [K, G], effects [K, L − 1, G]", () => {
    const cfg = makeConfig("nbdm", {
      nCells: 4,
      nGenes: 3,
      parameterization: "mean_odds",
      unconstrained: true,
      nComponents: 2,
      datasetIndices: [0, 1, 2, 3],
      datasetFactors: {
        names: ["a", "b"],
        levels: [
          ["a0", "a1"],
          ["b0", "b1"],
        ],
      },
    });
    const sites = latentSiteSpecs(cfg).map((s) => `${s.name}[${s.shape}]`);
    expect(sites).toEqual(
      expect.arrayContaining(["log_mu_loc[2,3]", "log_mu_a_effect[2,1,3]", "log_mu_b_effect[2,1,3]"]),
    );
  });

  it("2 cell types × (donor × condition): each type's own condition effect is recovered", async () => {
    const { results } = await fit(simulate(), {
      model: "nbdm",
      parameterization: "mean_odds",
      unconstrained: true,
      nComponents: 2,
      datasetKey: ["donor", "condition"],
      nSteps: 400,
      learningRate: 0.05,
      seed: 0,
    });
    const base = arr(results.params.log_mu_loc_loc!);
    const cond = arr(results.params.log_mu_condition_effect_loc!);
    // the components' order is the k-means start's: match by the base profile (type A is high
    // in genes 0–4)
    const aFirst = base[0]! > base[G]!;
    const comp = (type: number) => (aFirst ? type : 1 - type);
    const err = (type: number) =>
      Math.max(...TRUTH.condition[type]!.map((t, g) => Math.abs(cond[comp(type) * G + g]! - t)));
    const errs = [err(0), err(1)];
    console.log(`factor × mixture: max |condition effect error| per type ${errs.map((x) => x.toFixed(3))}`);
    // a log-mean contrast between two 80-cell halves of NB(mean ≥ 2, p = 0.5) counts has
    // sd ≤ √(2·2/(2·80)) ≈ 0.16 for the lowest genes; 0.5 covers ~3 sd over 10 genes plus the
    // 400-step guide. A shared (one-for-all-types) effect would miss by log 2 ≈ 0.69 on 8 genes.
    for (const e of errs) expect(e).toBeLessThan(0.5);
    // the per-combination means are (K, D, G)
    expect([...results.getMap().mu!.shape]).toEqual([2, 4, G]);
    // getComponent keeps that component's base and effects
    const one = results.getComponent(comp(0));
    expect([...one.params.log_mu_condition_effect_loc!.shape]).toEqual([1, G]);
    expect(arr(one.params.log_mu_condition_effect_loc!)).toEqual(cond.slice(comp(0) * G, comp(0) * G + G));
    const mu = arr(one.getMap().mu!);
    expect(mu.length).toBe(4 * G);
    // sliceDataset keeps the component axis: donor1 × stim's mu [K, G] is the full fit's [K, d, G]
    const d = 3;
    const full = arr(results.getMap().mu!);
    const sliced = arr(results.sliceDataset(d).getMap({ mapMethod: "transform" }).mu!);
    expect(sliced.length).toBe(2 * G);
    for (let k = 0; k < 2; k++)
      for (let g = 0; g < G; g++)
        expect(Math.abs(sliced[k * G + g]! / full[(k * 4 + d) * G + g]! - 1)).toBeLessThan(1e-4);
  }, 120_000);
});
