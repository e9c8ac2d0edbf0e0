/**
 * Slicing a factor design whose base has a gene-level family (`priors` `{ base: family }`,
 * issue 16, `results/slice.ts`):
 * - gaussian base: `getComponent(k)` and `getDataset(d)` at every dataset, the base being a
 *   Normal site of its own; the slices' θ equals the full results' θ[k] / θ[:, d] and the
 *   dataset slice's guide is the sum of independent Normals, loc Σ locs and scale √(Σ scales²),
 *   computed here from the full parameters;
 * - horseshoe base: `getDataset` at the all-reference dataset is the gene-level horseshoe
 *   hierarchy with the same parameters (θ equal to the full θ[:, 0], and to exp(loc + s·z) by
 *   hand); datasets with effects and `getComponent` are refused by name.
 * Short fits (5 steps): the checks compare the slices with the full results' own parameters,
 * not with a truth.
 */
import { fit, latentSiteSpecs } from "@scribe/models";
import { beforeAll, describe, expect, it } from "vitest";
import { arr, D, G, K, simulateCrossedDesign } from "./factor-slice-fixture.js";

const fitWithBase = (family: "gaussian" | "horseshoe") =>
  fit(simulateCrossedDesign(4), {
    model: "nbdm",
    parameterization: "mean_odds",
    unconstrained: true,
    nComponents: K,
    datasetKey: ["treat", "batch"],
    priors: { mean_expression: { base: family } },
    nSteps: 5,
    learningRate: 0.05,
    seed: 0,
  });

// float32 exp of the same sums in another order: relative 1e-5
const TOL = 1e-5;
const rel = (a: number, b: number) => Math.abs(a / b - 1);

describe("gaussian base (β_k ~ N(loc_g, σ), a Normal site of its own)", () => {
  let results: Awaited<ReturnType<typeof fit>>["results"];
  beforeAll(async () => {
    ({ results } = await fitWithBase("gaussian"));
  }, 60_000);

  it("getComponent(k): the base at k without its population; mu equals the full mu[k]", () => {
    const full = arr(results.getMap({ mapMethod: "transform" }).mu!);
    for (let k = 0; k < K; k++) {
      const one = results.getComponent(k);
      const specs = new Map(latentSiteSpecs(one.config).map((s) => [s.name, s.shape]));
      expect(specs.get("log_mu_loc")).toEqual([G]);
      expect(specs.has("log_mu_base_loc")).toBe(false);
      expect(one.params.log_mu_base_loc_loc).toBeUndefined();
      expect(arr(one.params.log_mu_loc_loc!)).toEqual(
        arr(results.params.log_mu_loc_loc!).slice(k * G, (k + 1) * G),
      );
      const mu = arr(one.getMap({ mapMethod: "transform" }).mu!);
      expect(mu.length).toBe(D * G);
      for (let i = 0; i < D * G; i++) expect(rel(mu[i]!, full[k * D * G + i]!)).toBeLessThan(TOL);
    }
    // the two components differ (a swapped or unsliced component would not pass both)
    expect(full.slice(0, D * G)).not.toEqual(full.slice(D * G));
  });

  it("getDataset(d) at every dataset: guide Σ locs, √(Σ scales²) by hand; mu equals the full mu[:, d]", () => {
    const full = arr(results.getMap({ mapMethod: "transform" }).mu!);
    const p = results.params;
    const beta = { loc: arr(p.log_mu_loc_loc!), scale: arr(p.log_mu_loc_scale!) }; // [K, G]
    const treat = { loc: arr(p.log_mu_treat_effect_loc!), scale: arr(p.log_mu_treat_effect_scale!) }; // [K, 1, G]
    const batch = { loc: arr(p.log_mu_batch_effect_loc!), scale: arr(p.log_mu_batch_effect_scale!) };
    for (let d = 0; d < D; d++) {
      const one = results.sliceDataset(d);
      const loc = arr(one.params.mu_loc!);
      const scale = arr(one.params.mu_scale!);
      for (let i = 0; i < K * G; i++) {
        let m = beta.loc[i]!;
        let v = beta.scale[i]! ** 2;
        if (d >= 2) {
          m += treat.loc[i]!;
          v += treat.scale[i]! ** 2;
        }
        if (d % 2) {
          m += batch.loc[i]!;
          v += batch.scale[i]! ** 2;
        }
        expect(Math.abs(loc[i]! - m)).toBeLessThan(1e-6);
        expect(rel(scale[i]!, Math.sqrt(v))).toBeLessThan(TOL);
      }
      expect(one.config.priors.hierarchy.expression).toBeUndefined();
      const mu = arr(one.getMap({ mapMethod: "transform" }).mu!);
      for (let k = 0; k < K; k++)
        for (let g = 0; g < G; g++) expect(rel(mu[k * G + g]!, full[(k * D + d) * G + g]!)).toBeLessThan(TOL);
    }
  });
  it("getDataset(3) posterior draws: mean of mu within 4 SE of the LogNormal mean exp(m + v/2), as the full mu[:, 3]", () => {
    const S = 4000;
    const one = results.sliceDataset(3);
    const loc = arr(one.params.mu_loc!);
    const scale = arr(one.params.mu_scale!);
    const draws = arr(one.getPosteriorSamples({ nSamples: S, seed: 7 }).mu!); // [S, K, G]
    const fullDraws = results.getPosteriorSamples({ nSamples: S, seed: 8 }).mu!; // [S, K, D, G]
    const full = arr(fullDraws);
    for (let i = 0; i < K * G; i++) {
      const v = scale[i]! ** 2;
      const mean = Math.exp(loc[i]! + v / 2); // LogNormal mean, closed form
      const se = (mean * Math.sqrt(Math.expm1(v))) / Math.sqrt(S);
      const [k, g] = [Math.floor(i / G), i % G];
      let a = 0;
      let b = 0;
      for (let s = 0; s < S; s++) {
        a += draws[s * K * G + i]!;
        b += full[((s * K + k) * D + 3) * G + g]!;
      }
      expect(Math.abs(a / S - mean)).toBeLessThan(4 * se);
      expect(Math.abs(b / S - mean)).toBeLessThan(4 * se);
    }
  });
});

describe("horseshoe base (β_kg = loc_g + s_kg·z_kg)", () => {
  let results: Awaited<ReturnType<typeof fit>>["results"];
  beforeAll(async () => {
    ({ results } = await fitWithBase("horseshoe"));
  }, 60_000);

  it("getDataset at the reference levels is the gene-level horseshoe hierarchy: same parameters, mu by hand", () => {
    const full = arr(results.getMap({ mapMethod: "transform" }).mu!);
    const one = results.sliceDataset(0);
    expect(one.config.priors.hierarchy.expression?.family).toBe("horseshoe");
    const specs = new Map(latentSiteSpecs(one.config).map((s) => [s.name, s.shape]));
    expect(specs.get("log_mu_loc")).toEqual([G]);
    expect(specs.get("lambda_mu")).toEqual([K, G]);
    expect(specs.get("mu_raw")).toEqual([K, G]);
    expect(arr(one.params.mu_raw_loc!)).toEqual(arr(results.params.mu_base_raw_loc!));
    expect(arr(one.params.log_mu_loc_loc!)).toEqual(arr(results.params.log_mu_base_loc_loc!));
    const map = one.getMap({ mapMethod: "transform" });
    const mu = arr(map.mu!);
    const loc = arr(map.log_mu_loc!);
    const tau = arr(map.tau_mu!)[0]!;
    const cSq = arr(map.c_sq_mu!)[0]!;
    const lam = arr(map.lambda_mu!);
    const z = arr(map.mu_raw!);
    for (let k = 0; k < K; k++)
      for (let g = 0; g < G; g++) {
        const i = k * G + g;
        expect(rel(mu[i]!, full[(k * D + 0) * G + g]!)).toBeLessThan(TOL);
        // the regularized horseshoe scale τ·c·λ/√(c² + τ²λ²) (models/shrinkage.ts), float32: 1e-4
        const s = (tau * Math.sqrt(cSq) * lam[i]!) / Math.sqrt(cSq + (tau * lam[i]!) ** 2);
        expect(rel(mu[i]!, Math.exp(loc[g]! + s * z[i]!))).toBeLessThan(1e-4);
      }
  });

  it("refuses datasets with effects and single components, naming why", () => {
    expect(() => results.sliceDataset(1)).toThrow(/dataset 1 has effects of 'batch' on top of it/);
    expect(() => results.sliceDataset(3)).toThrow(/dataset 3 has effects of 'treat', 'batch'/);
    expect(() => results.getComponent(0)).toThrow(/horseshoe gene-level hierarchy .* not Normal/);
  });
});

describe("a mixture phi with a horseshoe base (a scalar population: kept by the component slice)", () => {
  it("getComponent(k): the base's per-component sites at k, population and family kept; phi equals the full phi[k]", async () => {
    const { results } = await fit(simulateCrossedDesign(4), {
      model: "nbdm",
      parameterization: "mean_odds",
      unconstrained: true,
      nComponents: K,
      mixtureParams: ["mu", "phi"],
      datasetKey: ["treat", "batch"],
      datasetParams: ["mu", "phi"],
      priors: { odds_ratio: { base: "horseshoe" } },
      nSteps: 5,
      learningRate: 0.05,
      seed: 0,
    });
    const full = arr(results.getMap({ mapMethod: "transform" }).phi!);
    expect(full.length).toBe(K * D * G);
    for (let k = 0; k < K; k++) {
      const one = results.getComponent(k);
      const specs = new Map(latentSiteSpecs(one.config).map((s) => [s.name, s.shape]));
      expect(specs.get("log_phi_base_loc")).toEqual([]);
      expect(specs.get("lambda_phi_base")).toEqual([G]);
      expect(arr(one.params.phi_base_raw_loc!)).toEqual(
        arr(results.params.phi_base_raw_loc!).slice(k * G, (k + 1) * G),
      );
      const phi = arr(one.getMap({ mapMethod: "transform" }).phi!);
      for (let i = 0; i < D * G; i++) expect(rel(phi[i]!, full[k * D * G + i]!)).toBeLessThan(TOL);
    }
  }, 60_000);
});
