/**
 * Slicing results of factor designs whose effects have horseshoe / NEG priors (issue 16,
 * `results/slice.ts`): `getComponent` takes component k of every per-component site, the
 * effects' raw z and per-effect λ, ζ, ψ included (the horseshoe's τ and c² are shared by the
 * components), and `getDataset` slices a dataset at the reference levels of such factors (no
 * effect there) and refuses one at another level, naming the factor, its level and its family. A 5-step fit is
 * enough: the values are checked against the full results (same parameters, sliced) and
 * against θ recomputed by hand from the sliced MAP values, not against a truth.
 */
import { fit, latentSiteSpecs } from "@scribe/models";
import { beforeAll, describe, expect, it } from "vitest";
import { arr, D, G, K, simulateCrossedDesign } from "./factor-slice-fixture.js";

describe("slicing a mixture × factor design with horseshoe (treat) and NEG (batch) factors", () => {
  let results: Awaited<ReturnType<typeof fit>>["results"];
  beforeAll(async () => {
    ({ results } = await fit(simulateCrossedDesign(5), {
      model: "nbdm",
      parameterization: "mean_odds",
      unconstrained: true,
      nComponents: K,
      datasetKey: ["treat", "batch"],
      priors: { mean_expression: { treat: "horseshoe", batch: "neg" } },
      nSteps: 5,
      learningRate: 0.05,
      seed: 0,
    }));
  }, 60_000);

  it("getComponent(k): every per-component site sliced; mu equals the full mu[k] and θ by hand", () => {
    const full = results.getMap();
    expect([...full.mu!.shape]).toEqual([K, D, G]);
    const fullMu = arr(full.mu!);
    for (let k = 0; k < K; k++) {
      const one = results.getComponent(k);
      // each kept parameter has its site's single-component shape (λ, ζ, ψ and z lose K, τ and
      // c² stay scalar)
      const specs = new Map(latentSiteSpecs(one.config).map((s) => [s.name, s]));
      const sites = ["log_mu_loc", "mu_treat_raw", "lambda_mu_treat", "tau_mu_treat", "c_sq_mu_treat"];
      for (const site of [...sites, "mu_batch_raw", "zeta_mu_batch", "psi_mu_batch"])
        expect([...one.params[`${site}_loc`]!.shape], site).toEqual(specs.get(site)!.shape);
      expect(specs.get("lambda_mu_treat")!.shape).toEqual([1, G]);
      const map = one.getMap();
      const mu = arr(map.mu!);
      expect(mu.length).toBe(D * G);
      // same parameters, sliced: equal up to float32 rounding of the same operations
      for (let i = 0; i < D * G; i++)
        expect(Math.abs(mu[i]! / fullMu[k * D * G + i]! - 1)).toBeLessThan(1e-5);
      // θ by hand from the sliced MAP values: log μ_{d,g} = β_g + [treat = t1]·s_g·z_g +
      // [batch = b1]·√ψ_g·z'_g, s = τ·c·λ/√(c² + τ²λ²) (regularized horseshoe; NEG's scale √ψ,
      // models/shrinkage.ts)
      const beta = arr(map.log_mu_loc!);
      const tau = arr(map.tau_mu_treat!)[0]!;
      const cSq = arr(map.c_sq_mu_treat!)[0]!;
      const lam = arr(map.lambda_mu_treat!);
      const z = arr(map.mu_treat_raw!);
      const psi = arr(map.psi_mu_batch!);
      const zb = arr(map.mu_batch_raw!);
      for (let d = 0; d < D; d++)
        for (let g = 0; g < G; g++) {
          const s = (tau * Math.sqrt(cSq) * lam[g]!) / Math.sqrt(cSq + (tau * lam[g]!) ** 2);
          const logMu = beta[g]! + (d >= 2 ? s * z[g]! : 0) + (d % 2 ? Math.sqrt(psi[g]!) * zb[g]! : 0);
          // float32 exp / products: relative 1e-4
          expect(Math.abs(mu[d * G + g]! / Math.exp(logMu) - 1)).toBeLessThan(1e-4);
        }
    }
    // the two components differ (a swapped or unsliced component would not pass both)
    expect(fullMu.slice(0, D * G)).not.toEqual(fullMu.slice(D * G));
  });

  it("getDataset: the all-reference dataset equals the full mu[:, d]; other levels are refused by name", () => {
    const fullMu = arr(results.getMap().mu!);
    const d = 0; // treat t0, batch b0: the reference levels, no horseshoe / NEG effect
    const one = results.sliceDataset(d);
    // the factors' sites are not carried into the single-dataset results
    expect(Object.keys(one.params).filter((n) => /mu_(treat|batch)|log_mu/.test(n))).toEqual([]);
    const mu = arr(one.getMap({ mapMethod: "transform" }).mu!);
    expect(mu.length).toBe(K * G);
    for (let k = 0; k < K; k++)
      for (let g = 0; g < G; g++)
        expect(Math.abs(mu[k * G + g]! / fullMu[(k * D + d) * G + g]! - 1)).toBeLessThan(1e-4);
    expect(() => results.sliceDataset(2)).toThrow(
      /getDataset: dataset 2 has factor 'treat' at level 't1', whose effect on 'mu' has a horseshoe prior/,
    );
    expect(() => results.sliceDataset(1)).toThrow(
      /getDataset: dataset 1 has factor 'batch' at level 'b1', whose effect on 'mu' has a neg prior/,
    );
  });
});
