/**
 * SCRIBE's structural `hierarchy` list through `fit()` and `scribe fit` (issue 16,
 * models/group-levels.ts): `hierarchy: [{ name: "treat", effect_type: "fixed", fixed_scale: 2 },
 * { name: "donor", nested_in: "treat" }]` in place of `datasetKey` must be exactly
 * `datasetKey: ["treat", "donor"]` + `hierarchy: { donor: "treat" }` + the effect types as
 * `priors` levels of every dataset parameter. Checked on a seeded simulation (donors nested in
 * treatments) by running both forms: the same latent sites, the same prior log density at the
 * same draw, the same loss history and parameters, bit for bit (the same model and seed make
 * the same float32 arithmetic). `scribe fit --config` with `model.hierarchy` as a YAML list is
 * checked against fit() with the list; bad lists are errors naming the entry.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, seed, type Tensor, tensor, trace } from "@scribe/core";
import { type FitOptions, fit, latentSiteSpecs, ScribeResults, scribeModel } from "@scribe/models";
import { resolveFitPlan } from "@scribe/models/cli/fit-plan.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { makeRng } from "@scribe/models/seeded-rng.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";

// 2 treatments; donors d0, d1 in t0 and d2, d3 in t1; 12 cells per donor; 6 genes
const PER_DONOR = 12;
const C = 4 * PER_DONOR;
const G = 6;
const donorOf = (c: number) => Math.floor(c / PER_DONOR);

/** Poisson counts with log mean base_g + 1·[treat t1] + a donor deviation (seeded). */
function simulate(): Float32Array {
  const u = makeRng(16);
  const donorDev = [0.3, -0.3, 0.2, -0.2];
  const X = new Float32Array(C * G);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) {
      const d = donorOf(c);
      const lambda = Math.exp(0.5 + 0.3 * g + (d >= 2 ? 1 : 0) + donorDev[d]!);
      // inversion of the Poisson cdf
      let k = 0;
      let p = Math.exp(-lambda);
      let cdf = p;
      const v = u();
      while (v > cdf) {
        k++;
        p *= lambda / k;
        cdf += p;
      }
      X[c * G + g] = k;
    }
  return X;
}

const X = simulate();
const adata = createAnnData({
  X: { format: "dense", data: X, shape: [C, G] },
  obs: {
    index: Array.from({ length: C }, (_, c) => `c${c}`),
    columns: {
      treat: Array.from({ length: C }, (_, c) => `t${donorOf(c) >> 1}`),
      donor: Array.from({ length: C }, (_, c) => `d${donorOf(c)}`),
    },
  },
  var: Array.from({ length: G }, (_, g) => `g${g}`),
});

const LIST = [
  { name: "treat", effect_type: "fixed", fixed_scale: 2 },
  { name: "donor", nested_in: "treat" },
] as const;
const COMMON: FitOptions = {
  model: "nbdm",
  parameterization: "mean_odds",
  unconstrained: true,
  // phi as well as the default mu: the effect types reach every dataset parameter
  datasetParams: ["mu", "phi"],
  nSteps: 30,
  learningRate: 0.05,
  seed: 3,
};
const LEVELS = { treat: { effect_type: "fixed", fixed_scale: 2 }, donor: { effect_type: "random" } } as const;

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);
const maxAbsDiff = (a: readonly number[], b: readonly number[]) => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
};

/** Site names, shapes and the total prior log density of one seeded draw of a result's model. */
function modelSites(r: ScribeResults) {
  const { model } = scribeModel(r.modelType, r.options);
  const tr = trace(seed(model as never, key(7))).getTrace(
    tensor(Array.from({ length: C }, () => new Array(G).fill(1))),
  );
  const sites: [string, number[]][] = [];
  let logDensity = 0;
  for (const [name, s] of tr.entries()) {
    const site = s as unknown as {
      type: string;
      value: Tensor;
      isObserved?: boolean;
      fn?: { logProb(v: Tensor): Tensor };
    };
    if (site.type !== "sample") continue;
    sites.push([name, [...site.value.shape]]);
    if (name !== "counts") logDensity += arr(site.fn!.logProb(site.value).sum())[0]!;
  }
  return { sites, logDensity };
}

describe("fit() with the structural hierarchy list", () => {
  let viaList: ScribeResults;
  beforeAll(async () => {
    viaList = (await fit(adata, { ...COMMON, hierarchy: LIST })).results;
  }, 60_000);

  it("is datasetKey + the child → parent map + the effect types as priors levels: same sites, losses, params", async () => {
    const viaMap = (
      await fit(adata, {
        ...COMMON,
        datasetKey: ["treat", "donor"],
        hierarchy: { donor: "treat" },
        priors: { mu: LEVELS, phi: LEVELS },
      })
    ).results;
    expect(viaList.meta.datasetLevels).toEqual(["t0__d0", "t0__d1", "t1__d2", "t1__d3"]);
    expect(latentSiteSpecs(viaList.config)).toEqual(latentSiteSpecs(viaMap.config));
    const specs = new Map(latentSiteSpecs(viaList.config).map((s) => [s.name, s]));
    for (const t of ["mu", "phi"]) {
      expect(specs.get(`log_${t}_treat_effect`)!.family).toEqual({ kind: "normal", loc: 0, scale: 2 });
      expect(specs.get(`log_${t}_donor_effect`)!.family).toMatchObject({ scale: `log_${t}_donor_scale` });
    }
    const a = modelSites(viaList);
    const b = modelSites(viaMap);
    expect(a.sites).toEqual(b.sites);
    expect(Number.isFinite(a.logDensity)).toBe(true);
    expect(a.logDensity).toBe(b.logDensity);
    expect(viaList.lossHistory.length).toBe(30);
    expect(Array.from(viaList.lossHistory)).toEqual(Array.from(viaMap.lossHistory));
    expect(Object.keys(viaList.params).sort()).toEqual(Object.keys(viaMap.params).sort());
    for (const [name, t] of Object.entries(viaList.params))
      expect(arr(t), name).toEqual(arr(viaMap.params[name]!));
    // datasetKey beside the list must name the same columns
    expect(
      (await fit(adata, { ...COMMON, nSteps: 1, datasetKey: "treat,donor", hierarchy: LIST })).steps,
    ).toBe(1);
  }, 60_000);

  it("bad lists are errors naming the entry (before the data is read) or both options", async () => {
    const bad = (hierarchy: unknown, extra: Partial<FitOptions> = {}) =>
      fit(adata, { ...COMMON, nSteps: 1, ...extra, hierarchy: hierarchy as never });
    await expect(bad([{ name: "donor", nested_in: "treat" }, { name: "treat" }])).rejects.toThrow(
      /^hierarchy\[0\]: factor 'donor' is nested_in "treat", which is not a factor declared before it/,
    );
    await expect(bad(["treat", { name: "donor", effect_type: "fixd" }])).rejects.toThrow(
      /^hierarchy\[1\]: effect_type must be "random" or "fixed", got "fixd"/,
    );
    await expect(bad(["treat", { name: "donor", scale: 2 }])).rejects.toThrow(
      /^hierarchy\[1\]: unknown field\(s\) scale/,
    );
    await expect(bad(LIST, { datasetKey: ["donor", "treat"] })).rejects.toThrow(
      /datasetKey "donor,treat" and hierarchy \(factors treat, donor\) name different factors/,
    );
    // a priors level contradicting a fixed factor names both
    await expect(bad(LIST, { priors: { mu: { treat: "horseshoe" } } })).rejects.toThrow(
      /priors for 'mu' give factor 'treat' the family .*horseshoe.* effect_type "fixed"/,
    );
    // a misspelt column is the data's error, naming it
    await expect(bad(["treat", { name: "donr", nested_in: "treat" }])).rejects.toThrow(
      /obs has no column "donr"/,
    );
  }, 30_000);

  describe("scribe fit", () => {
    let dir: string;
    let data: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "scribe-group-levels-"));
      data = join(dir, "data");
      write10x(data, adata);
    });
    const CONFIG = [
      "model:",
      "  type: nbdm",
      "  parameterization: mean_odds",
      "  unconstrained: true",
      "  dataset_params: [mu, phi]",
      "  hierarchy:",
      "    - {name: treat, effect_type: fixed, fixed_scale: 2}",
      "    - {name: donor, nested_in: treat}",
      "inference:",
      "  n_steps: 30",
      "  learning_rate: 0.05",
      "  seed: 3",
      "",
    ].join("\n");

    it("--config with model.hierarchy as a YAML list = fit() with the list; the flag takes a YAML flow list", async () => {
      const cfg = join(dir, "fit.yaml");
      writeFileSync(cfg, CONFIG);
      const out = join(dir, "out");
      const r = await cli(["fit", data, "--config", cfg, "--n-samples", "2", "-q", "--out", out]);
      expect(r.code, r.stderr).toBe(0);
      const res = ScribeResults.fromJSON(JSON.parse(readFileSync(join(out, "params.json"), "utf8")));
      expect(res.options.datasetFactors?.effects).toEqual({
        treat: { effect_type: "fixed", fixed_scale: 2 },
        donor: { effect_type: "random" },
      });
      expect(res.meta.datasetLevels).toEqual(viaList.meta.datasetLevels);
      // the 10x folder holds the integer counts fit() got: the same float32 arithmetic; 1e-6
      // allows for the JSON round trip of float32 values
      expect(res.lossHistory.length).toBe(viaList.lossHistory.length);
      const losses = Array.from(viaList.lossHistory);
      const scale = Math.max(...losses.map(Math.abs));
      expect(maxAbsDiff(Array.from(res.lossHistory), losses)).toBeLessThan(1e-6 * scale);
      expect(Object.keys(res.params).sort()).toEqual(Object.keys(viaList.params).sort());
      for (const [name, t] of Object.entries(viaList.params))
        expect(maxAbsDiff(arr(res.params[name]!), arr(t)), name).toBeLessThan(1e-6);
      // the flag's YAML flow list gives fit() the same option (the plan, without a fit)
      const flag = resolveFitPlan(
        {
          hierarchy: "[{name: treat, effect_type: fixed, fixed_scale: 2}, {name: donor, nested_in: treat}]",
        },
        [data],
      );
      expect(flag.fitOptions.hierarchy).toEqual(LIST);
      expect(resolveFitPlan({ config: cfg }, [data]).fitOptions.hierarchy).toEqual(LIST);
    }, 60_000);

    it("bad lists are usage errors (exit 2) naming the flag or config key and the entry", async () => {
      const run = (args: string[]) => cli(["fit", data, ...args, "-q", "--out", join(dir, "never")]);
      const nested = await run(["--hierarchy", "[{name: donor, nested_in: treat}, treat]"]);
      expect(nested.code).toBe(2);
      expect(nested.stderr).toMatch(
        /--hierarchy\[0\]: factor 'donor' is nested_in "treat", which is not a factor declared before it/,
      );
      const cfg = join(dir, "bad.yaml");
      writeFileSync(cfg, CONFIG.replace("fixed_scale: 2", "fixed_scale: -1"));
      const scale = await run(["--config", cfg]);
      expect(scale.code).toBe(2);
      expect(scale.stderr).toMatch(/model\.hierarchy\[0\]: fixed_scale must be a positive number, got -1/);
      const key = await run([
        "--config",
        cfg,
        "--dataset-key",
        "donor,treat",
        "model.hierarchy=[treat, donor]",
      ]);
      expect(key.code).toBe(2);
      expect(key.stderr).toMatch(
        /datasetKey "donor,treat" and model\.hierarchy \(factors treat, donor\) name different factors/,
      );
      const yaml = await run(["--hierarchy", "[{name: treat"]);
      expect(yaml.code).toBe(2);
      expect(yaml.stderr).toMatch(/--hierarchy: not a valid YAML list/);
    }, 30_000);
  });
});
