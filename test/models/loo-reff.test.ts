/**
 * r_eff of MCMC fits in compareModels' PSIS-LOO (issue 15): an nbdm NUTS fit with 2 chains
 * and an SVI fit of the same counts. The MCMC fit's per-cell log-likelihood goes to R's
 * `loo::relative_eff(exp(ll), chain_id)` and `loo(ll, r_eff)` (bench/r/loo-reference.R) and
 * must agree to 1e-6 relative (float64 both sides; the tolerance of the loo fixture tests);
 * the SVI fit keeps r_eff = 1. The R comparison is skipped when Rscript with loo is missing,
 * except under CI=true; without R, r_eff is checked against `relativeEff` on the chains
 * given row by row (verified against loo's fixtures in test/infer/model-comparison-loo.test.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { key, random, tensor } from "@scribe/core";
import { psisLoo, relativeEff } from "@scribe/infer";
import { compareModels, fit, fitChainCount, fitRelativeEff } from "@scribe/models";
import { describe, expect, it } from "vitest";

const HAS_LOO =
  spawnSync("Rscript", [
    "-e",
    "quit(status = if (requireNamespace('loo', quietly = TRUE) && requireNamespace('jsonlite', quietly = TRUE)) 0 else 1)",
  ]).status === 0;
const IN_CI = process.env.CI === "true";

const C = 40;
const CHAINS = 2;
// r_eff and PSIS-LOO are compared with R on the same draws, so their number only needs to give
// each chain a usable autocorrelation estimate
const DRAWS = 100;

describe("r_eff of MCMC fits in compareModels", () => {
  it("NUTS fit: r_eff from its chains (= R loo::relative_eff), PSIS-LOO with it (= R loo); SVI fit: r_eff = 1", async () => {
    // counts from NB(r, p) with r = 2, 4, 8 and p = 0.5 (means 2, 4, 8)
    const counts = random.poisson(
      key(1),
      random.gamma(key(2), tensor([2, 4, 8]).reshape([1, 3]).expand([C, 3])),
    );
    const { results: mcmc } = await fit(counts, {
      model: "nbdm",
      inferenceMethod: "mcmc",
      nChains: CHAINS,
      nWarmup: 100,
      nSamples: DRAWS,
      seed: 3,
    });
    // fit() does not record the chain count yet: set it as the results of a fit should carry it
    mcmc.meta.numChains ??= CHAINS;
    const { results: svi } = await fit(counts, { model: "nbdm", nSteps: 300, learningRate: 0.05, seed: 4 });
    expect(fitChainCount(mcmc)).toBe(CHAINS);
    expect(fitChainCount(svi)).toBeNull();

    const cmp = await compareModels([mcmc, svi], counts, {
      modelNames: ["mcmc", "svi"],
      nSamples: 300,
      seed: 5,
    });
    const ll = cmp.logLik[0]!.perCell;
    expect(ll.nDraws).toBe(CHAINS * DRAWS);
    const rEff = cmp.relativeEff[0]!;
    expect(rEff).toBeInstanceOf(Float64Array);
    expect(cmp.relativeEff[1]).toBeNull();
    // the chains, labelled row by row (chain-major storage of mcmc.getSamples())
    const chainIds = Array.from({ length: ll.nDraws }, (_, s) => 1 + Math.floor(s / DRAWS));
    const byIds = relativeEff(ll, { chainIds });
    for (let i = 0; i < C; i++) expect(rEff[i]).toBe(byIds[i]);
    const loo = cmp.psisLoo();
    // the SVI fit: r_eff = 1 (independent draws)
    expect(loo[1]!.elpdLoo.estimate).toBe(psisLoo(cmp.logLik[1]!.perCell).elpdLoo.estimate);
    const mean = rEff.reduce((a, b) => a + b, 0) / C;
    console.log(
      `[loo-reff] r_eff of the NUTS fit: mean ${mean.toFixed(3)}, range ${Math.min(...rEff).toFixed(3)}–${Math.max(...rEff).toFixed(3)}; elpd_loo ${loo[0]!.elpdLoo.estimate.toFixed(4)} (r_eff = 1: ${psisLoo(ll).elpdLoo.estimate.toFixed(4)})`,
    );

    if (!HAS_LOO && !IN_CI) {
      console.log(
        "[loo-reff] R comparison skipped: Rscript with loo is not installed (apt-get install r-base-core r-cran-loo)",
      );
      return;
    }
    expect(HAS_LOO, "CI=true: Rscript with the loo package must be installed").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "scribe-loo-reff-"));
    try {
      const inp = join(dir, "in.json");
      const out = join(dir, "out.json");
      writeFileSync(
        inp,
        JSON.stringify({ S: ll.nDraws, n: ll.nObs, ll: Array.from(ll.data), chain_id: chainIds }),
      );
      const script = fileURLToPath(new URL("../../bench/r/loo-reference.R", import.meta.url));
      execFileSync("Rscript", [script, "matrix", inp, out], { stdio: ["ignore", "ignore", "pipe"] });
      const ref = JSON.parse(readFileSync(out, "utf8")) as {
        r_eff: number[];
        loo: { estimates: { elpd_loo: number; p_loo: number }; pareto_k: number[]; n_eff: number[] };
      };
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      for (let i = 0; i < C; i++) expect(rel(rEff[i]!, ref.r_eff[i]!), `r_eff[${i}]`).toBeLessThan(1e-6);
      expect(rel(loo[0]!.elpdLoo.estimate, ref.loo.estimates.elpd_loo)).toBeLessThan(1e-6);
      expect(rel(loo[0]!.pLoo.estimate, ref.loo.estimates.p_loo)).toBeLessThan(1e-6);
      for (let i = 0; i < C; i++) {
        expect(Math.abs(loo[0]!.pointwise.paretoK[i]! - ref.loo.pareto_k[i]!), `k̂[${i}]`).toBeLessThan(1e-6);
        // n_eff = S·r_eff / Σ w̃²: carries r_eff, so it fails if r_eff were not passed
        expect(rel(loo[0]!.pointwise.nEff[i]!, ref.loo.n_eff[i]!), `n_eff[${i}]`).toBeLessThan(1e-6);
      }
      console.log(
        `[loo-reff] R loo: elpd_loo ${ref.loo.estimates.elpd_loo.toFixed(6)} (ours ${loo[0]!.elpdLoo.estimate.toFixed(6)}), r_eff[0] ${ref.r_eff[0]!.toFixed(6)} (ours ${rEff[0]!.toFixed(6)})`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it("a chain count that does not divide the draws, or is not a positive integer, is an error naming meta.numChains", async () => {
    const counts = random.poisson(key(7), tensor([3, 6]).reshape([1, 2]).expand([12, 2]));
    const { results } = await fit(counts, {
      model: "nbdm",
      inferenceMethod: "mcmc",
      nWarmup: 20,
      nSamples: 30,
      seed: 1,
    });
    const ll = { nDraws: 30, nObs: 12, data: new Float64Array(360) };
    expect(fitChainCount(results)).toBe(1); // absent: one chain
    results.meta.numChains = 4;
    expect(() => fitRelativeEff(results, ll)).toThrow(/30 draws.*meta\.numChains = 4/);
    results.meta.numChains = "two";
    expect(() => fitChainCount(results)).toThrow(/meta\.numChains must be a positive integer, got "two"/);
  }, 120_000);
});
