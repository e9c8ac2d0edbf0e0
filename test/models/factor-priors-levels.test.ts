/**
 * Per-level prior families of factor designs, the rest of issue 16 (SCRIBE `priors` option's
 * `{ level: family }`, SCRIBE gene-level hierarchies; SCRIBE's `effect_type` "random" | "fixed"):
 * - an unknown level is a plan-time error (fit() before reading its data; `scribe fit` a usage
 *   error before reading DATA) naming the key, the level and the known levels;
 * - "fixed" (N(0, scale), also `{ effect_type: "fixed", fixed_scale }`), "random" (= gaussian)
 *   and "none" (the default), with unknown names refused by list;
 * - a family under `base`: the design's base β as a gene-level hierarchy;
 * - families on interaction terms (`"treat:batch"`);
 * - horseshoe / NEG effects (and a shrunk base) as deterministic trace values and derived
 *   values of posterior draws.
 * Every value is checked against a closed form computed here from the substituted latent
 * values (no fitting, except a 3-step fit for the posterior-draw names); tiny designs.
 */
import { key, seed, substitute, type Tensor, tensor, trace } from "@scribe/core";
import { fit, latentSiteSpecs, makeConfig, scribeModel } from "@scribe/models";
import { resolveFitPlan } from "@scribe/models/cli/fit-plan.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { checkLevelPriors } from "@scribe/models/models/priors.js";
import { describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { base, DATASETS, DESIGN, G } from "./factor-design-fixture.js";

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);

const counts = () => tensor(DATASETS.map(() => [1, 2]));

type Site = { type: string; value: Tensor; fn?: { logProb(v: Tensor): Tensor } };
function traced(model: (c: Tensor) => unknown, values: Record<string, Tensor>) {
  const tr = trace(seed(substitute(model as never, values), key(0))).getTrace(counts());
  return (name: string) => {
    const s = tr.get(name) as unknown as Site | undefined;
    if (!s) throw new Error(`no site ${name} in the trace`);
    return s;
  };
}

/** log N(x; 0, s). */
const normalLogPdf = (x: number, m: number, s: number) =>
  -0.5 * ((x - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
/** The regularized horseshoe's scale τ·c·λ/√(c² + τ²λ²). */
const hsScale = (tau: number, cSq: number, lam: number) =>
  (tau * Math.sqrt(cSq) * lam) / Math.sqrt(cSq + tau * tau * lam * lam);

describe("plan-time check of level names", () => {
  it("checkLevelPriors names the key, the level and the factors (and interactions)", () => {
    const check =
      (priors: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      () =>
        checkLevelPriors(priors as never, {
          factors: ["treat", "batch"],
          parameterization: "mean_odds",
          ...extra,
        });
    expect(check({ mean_expression: { donr: "horseshoe" } })).toThrow(
      /^priors\.mean_expression: unknown level 'donr' of 'mu'; the grouping factors are treat, batch \(or the reserved key "base"\)$/,
    );
    // canonical samples r: the expression key's target is named as the model would
    expect(check({ mean_expression: { donr: "neg" } }, { parameterization: "canonical" })).toThrow(
      /unknown level 'donr' of 'r'/,
    );
    expect(
      check({ mean_expression: { "treat:donr": "neg" } }, { interactions: [["treat", "batch"]] }),
    ).toThrow(
      /unknown level 'treat:donr' of 'mu'; the grouping factors are treat, batch, the interactions treat:batch/,
    );
    // an interaction level in either order, a family that is not known, no design at all
    expect(
      check({ mean_expression: { "batch:treat": "neg" } }, { interactions: [["treat", "batch"]] }),
    ).not.toThrow();
    expect(check({ mean_expression: { batch: "lasso" } })).toThrow(
      /priors\.mean_expression\.batch: unknown family/,
    );
    expect(check({ mean_expression: { batch: "neg" } }, { factors: ["batch"] })).toThrow(
      /priors\.mean_expression: per-level families .* need a dataset design with several factors .* got datasetKey batch/,
    );
    // not level priors: nothing to check here
    expect(check({ mean_expression: [0, 1], probability: "horseshoe" }, { factors: [] })).not.toThrow();
  });

  it("fit() refuses before reading its data; `scribe fit` is a usage error before reading DATA", async () => {
    // a rank-1 tensor would fail fit()'s shape check, a missing file the backed reader: the
    // level error coming first shows the check runs before either
    const opts = {
      model: "nbdm" as const,
      parameterization: "mean_odds" as const,
      unconstrained: true,
      datasetKey: ["treat", "batch"],
      priors: { mean_expression: { donr: "horseshoe" } },
    };
    await expect(fit(tensor([1, 2, 3]), opts)).rejects.toThrow(
      /priors\.mean_expression: unknown level 'donr' of 'mu'; the grouping factors are treat, batch/,
    );
    await expect(fit("/nonexistent/never.h5ad", { ...opts, backed: true })).rejects.toThrow(
      /unknown level 'donr'/,
    );
    const r = await cli([
      "fit",
      "no-such-data.h5ad",
      "--model",
      "nbdm",
      "--parameterization",
      "mean_odds",
      "--unconstrained",
      "--dataset-key",
      "treat,batch",
      "--priors",
      "{mean_expression: {donr: horseshoe}}",
      "--out",
      "never-written",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--priors: priors\.mean_expression: unknown level 'donr' of 'mu'; the grouping factors are treat, batch/,
    );
    expect(r.stderr).not.toMatch(/no-such-data/);
    // the plan takes interaction levels and SCRIBE's effect_type through --priors and an override
    const plan = resolveFitPlan(
      {
        "dataset-key": "treat,batch",
        priors: '{mean_expression: {"treat:batch": neg, treat: {effect_type: fixed, fixed_scale: 0.5}}}',
      },
      ["data.h5ad", "model.interactions=[[treat, batch]]"],
    );
    expect(plan.fitOptions.interactions).toEqual([["treat", "batch"]]);
    expect(plan.fitOptions.priors).toEqual({
      mean_expression: { "treat:batch": "neg", treat: { effect_type: "fixed", fixed_scale: 0.5 } },
    });
    // without the interaction, its level is unknown
    expect(() =>
      resolveFitPlan({ "dataset-key": "treat,batch", priors: '{mean_expression: {"treat:batch": neg}}' }, [
        "data.h5ad",
      ]),
    ).toThrow(/unknown level 'treat:batch' of 'r'/); // the default parameterization (canonical) samples r
  });
});

describe("fixed / random / none and SCRIBE's effect_type", () => {
  const specsOf = (levels: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    new Map(
      latentSiteSpecs(
        makeConfig("nbdm", { ...base, ...extra, priors: { mean_expression: levels } as never }),
      ).map((s) => [s.name, s]),
    );

  it("map to fixed N(0, scale), the learned gaussian scale and the default", () => {
    const fixedFamily = (levels: Record<string, unknown>) =>
      specsOf(levels).get("log_mu_treat_effect")!.family;
    expect(fixedFamily({ treat: "fixed" })).toEqual({ kind: "normal", loc: 0, scale: 1 });
    expect(fixedFamily({ treat: { type: "fixed", scale: 0.3 } })).toEqual({
      kind: "normal",
      loc: 0,
      scale: 0.3,
    });
    expect(fixedFamily({ treat: { effect_type: "fixed", fixed_scale: 0.2 } })).toEqual({
      kind: "normal",
      loc: 0,
      scale: 0.2,
    });
    expect(fixedFamily({ treat: "none" })).toEqual({ kind: "normal", loc: 0, scale: 1 });
    for (const random of ["random", { effect_type: "random" }, "gaussian"]) {
      const s = specsOf({ batch: random });
      expect(s.get("log_mu_batch_effect")!.family).toMatchObject({
        kind: "tnormal",
        scale: "log_mu_batch_scale",
      });
      expect(s.has("log_mu_batch_scale")).toBe(true);
    }
    // a nested factor under "fixed": every level N(0, scale), no learned scale
    const nested = specsOf(
      { donor: { effect_type: "fixed", fixed_scale: 0.4 } },
      {
        datasetIndices: [0, 1, 2, 3],
        datasetFactors: {
          names: ["batch", "donor"],
          levels: [
            ["b0", "b1"],
            ["d0", "d1", "d2", "d3"],
          ],
          hierarchy: { donor: "batch" },
          combinations: [
            [0, 0],
            [0, 1],
            [1, 2],
            [1, 3],
          ],
        },
        nCells: 4,
      },
    );
    expect([...nested.get("log_mu_donor_effect")!.shape]).toEqual([4, G]);
    expect(nested.get("log_mu_donor_effect")!.family).toEqual({ kind: "normal", loc: 0, scale: 0.4 });
    expect(nested.has("log_mu_donor_scale")).toBe(false);
  });

  it("the fixed effect's log density is the N(0, scale) closed form", () => {
    const { model } = scribeModel("nbdm", {
      ...base,
      priors: { mean_expression: { treat: { type: "fixed", scale: 0.3 } } },
    });
    const eff = [[0.4, -0.25]];
    const site = traced(model, { log_mu_treat_effect: tensor(eff) })("log_mu_treat_effect");
    const lp = arr(site.fn!.logProb(site.value)).reduce((a, b) => a + b, 0);
    const want = eff[0]!.reduce((a, x) => a + normalLogPdf(x, 0, 0.3), 0);
    // float32 log densities of order 1: 1e-5
    expect(Math.abs(lp - want)).toBeLessThan(1e-5);
  });

  it("unknown names are refused with the lists", () => {
    const make = (levels: Record<string, unknown>) => () => specsOf(levels);
    expect(make({ treat: "lasso" })).toThrow(
      /priors\.mean_expression\.treat: unknown family "lasso"; expected one of "gaussian", "horseshoe", "neg", "fixed", "random", "none"/,
    );
    expect(make({ treat: { effect_type: "mixed" } })).toThrow(
      /priors\.mean_expression\.treat: unknown effect_type "mixed"; expected "random" or "fixed"/,
    );
    expect(make({ treat: { effect_type: "fixed", fixed_scale: -1 } })).toThrow(
      /fixed_scale must be a positive number/,
    );
    expect(make({ treat: { effect_type: "random", fixed_scale: 1 } })).toThrow(
      /fixed_scale applies to effect_type "fixed"/,
    );
  });
});

describe("a family under base: the design's base as a gene-level hierarchy", () => {
  const K = 2;
  const mix = { ...base, nComponents: K, datasetMixing: false };

  it("horseshoe: hyper-sites under mu_base, β = loc_g + s_kg·z_kg a deterministic site, θ by hand", () => {
    const { model, config } = scribeModel("nbdm", {
      ...mix,
      priors: { mean_expression: { base: "horseshoe" } },
    });
    const specs = new Map(latentSiteSpecs(config).map((s) => [s.name, [...s.shape]]));
    expect(specs.has("log_mu_loc")).toBe(false);
    expect(specs.get("log_mu_base_loc")).toEqual([G]);
    expect(specs.get("tau_mu_base")).toEqual([]);
    expect(specs.get("lambda_mu_base")).toEqual([K, G]);
    expect(specs.get("c_sq_mu_base")).toEqual([]);
    expect(specs.get("mu_base_raw")).toEqual([K, G]);
    const loc = [0.3, -0.2];
    const tau = 0.5;
    const cSq = 4;
    const lam = [
      [1, 0.2],
      [3, 0.05],
    ];
    const z = [
      [0.7, -1.1],
      [-0.4, 2],
    ];
    const treat = [[[0.2, 0.1]], [[-0.3, 0.4]]]; // fixed N(0, 1) default, [K, 1, G]
    const batch = [
      [
        [0.1, 0],
        [0, -0.2],
      ],
      [
        [0.05, 0.3],
        [-0.1, 0.2],
      ],
    ];
    const get = traced(model, {
      mixing_weights: tensor([0.5, 0.5]),
      log_mu_base_loc: tensor(loc),
      tau_mu_base: tensor(tau),
      lambda_mu_base: tensor(lam),
      c_sq_mu_base: tensor(cSq),
      mu_base_raw: tensor(z),
      log_mu_treat_effect: tensor(treat),
      log_mu_batch_effect: tensor(batch),
      phi: tensor([1, 1]),
    });
    expect(get("log_mu_loc").type).toBe("deterministic");
    const beta = arr(get("log_mu_loc").value);
    const mu = arr(get("mu").value); // [K, D, G]
    for (let k = 0; k < K; k++)
      for (let g = 0; g < G; g++) {
        const b = loc[g]! + hsScale(tau, cSq, lam[k]![g]!) * z[k]![g]!;
        // float32 arithmetic on values of order 1: 1e-5
        expect(Math.abs(beta[k * G + g]! - b)).toBeLessThan(1e-5);
        for (const d of DATASETS) {
          const t = Math.floor(d / 3);
          const bt = d % 3;
          const want = Math.exp(b + (t ? treat[k]![0]![g]! : 0) + (bt ? batch[k]![bt - 1]![g]! : 0));
          expect(Math.abs(mu[(k * DATASETS.length + d) * G + g]! - want)).toBeLessThan(1e-5 * want);
        }
      }
  });

  it("gaussian: β ~ N(loc_g, σ) with σ = log_mu_base_scale; its log density by hand", () => {
    const { model, config } = scribeModel("nbdm", {
      ...mix,
      priors: { mean_expression: { base: "gaussian" } },
    });
    const spec = latentSiteSpecs(config).find((s) => s.name === "log_mu_loc")!;
    expect(spec.family).toEqual({
      kind: "tnormal",
      loc: "log_mu_base_loc",
      scale: "log_mu_base_scale",
      transform: "identity",
    });
    const loc = [0.3, -0.2];
    const sigma = 0.4;
    const beta = [
      [0.5, -0.1],
      [0.1, -0.6],
    ];
    const site = traced(model, {
      mixing_weights: tensor([0.5, 0.5]),
      log_mu_base_loc: tensor(loc),
      log_mu_base_scale: tensor(sigma),
      log_mu_loc: tensor(beta),
      phi: tensor([1, 1]),
    })("log_mu_loc");
    const lp = arr(site.fn!.logProb(site.value)).reduce((a, b) => a + b, 0);
    let want = 0;
    for (let k = 0; k < K; k++)
      for (let g = 0; g < G; g++) want += normalLogPdf(beta[k]![g]!, loc[g]!, sigma);
    expect(Math.abs(lp - want)).toBeLessThan(1e-5);
  });

  it("refuses a base family without a mixture, or on a target that is not a mixture parameter", () => {
    expect(() => makeConfig("nbdm", { ...base, priors: { mean_expression: { base: "neg" } } })).toThrow(
      /priors\.mean_expression\.base = neg: the expression hierarchy .* needs a mixture/,
    );
    expect(() =>
      makeConfig("nbdm", { ...mix, mixtureParams: ["phi"], priors: { mean_expression: { base: "neg" } } }),
    ).not.toThrow();
    expect(() =>
      latentSiteSpecs(
        makeConfig("nbdm", { ...mix, mixtureParams: ["phi"], priors: { mean_expression: { base: "neg" } } }),
      ),
    ).toThrow(/'mu' must be a mixture parameter/);
  });
});

describe("families on interaction terms", () => {
  const withInteraction = {
    ...base,
    datasetFactors: { ...DESIGN, interactions: [["treat", "batch"]] as [string, string][] },
  };

  it("NEG on treat:batch: sites, the deterministic effect and θ by hand", () => {
    const { model, config } = scribeModel("nbdm", {
      ...withInteraction,
      priors: { mean_expression: { "batch:treat": "neg" } },
    });
    const specs = new Map(latentSiteSpecs(config).map((s) => [s.name, s]));
    expect(specs.has("log_mu_treat_x_batch_effect")).toBe(false);
    expect([...specs.get("psi_mu_treat_x_batch")!.shape]).toEqual([2, G]);
    expect([...specs.get("mu_treat_x_batch_raw")!.shape]).toEqual([2, G]);
    const beta = [0.2, -0.4];
    const psi = [
      [0.3, 1.2],
      [0.02, 0.5],
    ];
    const z = [
      [-0.5, 1],
      [2, -0.3],
    ];
    const get = traced(model, {
      log_mu_loc: tensor(beta),
      log_mu_treat_effect: tensor([[0.1, 0.2]]),
      log_mu_batch_effect: tensor([
        [0, 0.3],
        [-0.2, 0],
      ]),
      zeta_mu_treat_x_batch: tensor([
        [1, 1],
        [1, 1],
      ]),
      psi_mu_treat_x_batch: tensor(psi),
      mu_treat_x_batch_raw: tensor(z),
      phi: tensor(1),
    });
    const effSite = get("log_mu_treat_x_batch_effect");
    expect(effSite.type).toBe("deterministic");
    const eff = arr(effSite.value);
    for (let i = 0; i < 2; i++)
      for (let g = 0; g < G; g++)
        expect(Math.abs(eff[i * G + g]! - Math.sqrt(psi[i]![g]!) * z[i]![g]!)).toBeLessThan(1e-6);
    const mu = arr(get("mu").value);
    const treatEff = [0.1, 0.2];
    const batchEff = [
      [0, 0.3],
      [-0.2, 0],
    ];
    for (const d of DATASETS) {
      const t = Math.floor(d / 3);
      const b = d % 3;
      for (let g = 0; g < G; g++) {
        const inter = t && b ? Math.sqrt(psi[b - 1]![g]!) * z[b - 1]![g]! : 0;
        const want = Math.exp(beta[g]! + (t ? treatEff[g]! : 0) + (b ? batchEff[b - 1]![g]! : 0) + inter);
        expect(Math.abs(mu[d * G + g]! - want)).toBeLessThan(1e-5 * want);
      }
    }
  });

  it("gaussian and fixed on an interaction; the default stays fixed N(0, 1); unknown pairs named", () => {
    const specs = (levels: Record<string, unknown>) =>
      new Map(
        latentSiteSpecs(
          makeConfig("nbdm", { ...withInteraction, priors: { mean_expression: levels } as never }),
        ).map((s) => [s.name, s]),
      );
    expect(specs({ "treat:batch": "gaussian" }).get("log_mu_treat_x_batch_effect")!.family).toMatchObject({
      kind: "tnormal",
      scale: "log_mu_treat_x_batch_scale",
    });
    expect(
      specs({ "treat:batch": { type: "fixed", scale: 0.25 } }).get("log_mu_treat_x_batch_effect")!.family,
    ).toEqual({
      kind: "normal",
      loc: 0,
      scale: 0.25,
    });
    expect(specs({ treat: "gaussian" }).get("log_mu_treat_x_batch_effect")!.family).toEqual({
      kind: "normal",
      loc: 0,
      scale: 1,
    });
    expect(() => specs({ "treat:donor": "neg" })).toThrow(
      /unknown level 'treat:donor' of 'mu'; the grouping factors are treat, batch, the interactions treat:batch/,
    );
  });
});

describe("horseshoe / NEG effects as named values of posterior draws", () => {
  it("getPosteriorSamples holds log_mu_treat_effect = s·z from the same draws", async () => {
    // 2 cells per combination, 2 genes; 3 steps: only the names and the identity are checked
    const combos = DATASETS.flatMap((d) => [d, d]);
    const adata = createAnnData({
      X: {
        format: "dense",
        data: Float32Array.from(combos.flatMap((d) => [d + 1, 2])),
        shape: [combos.length, G],
      },
      obs: {
        index: combos.map((_, c) => `c${c}`),
        columns: {
          treat: combos.map((d) => (d >= 3 ? "t1" : "t0")),
          batch: combos.map((d) => `b${d % 3}`),
        },
      },
      var: ["g0", "g1"],
    });
    const { results } = await fit(adata, {
      model: "nbdm",
      parameterization: "mean_odds",
      unconstrained: true,
      datasetKey: ["treat", "batch"],
      priors: { mean_expression: { treat: "horseshoe", batch: "neg" } },
      nSteps: 3,
      seed: 0,
    });
    const S = 4;
    const draws = results.getPosteriorSamples({ nSamples: S, seed: 1 });
    const effT = draws.log_mu_treat_effect!;
    const effB = draws.log_mu_batch_effect!;
    expect([...effT.shape]).toEqual([S, 1, G]);
    expect([...effB.shape]).toEqual([S, 2, G]);
    const tau = arr(draws.tau_mu_treat!);
    const cSq = arr(draws.c_sq_mu_treat!);
    const lam = arr(draws.lambda_mu_treat!);
    const z = arr(draws.mu_treat_raw!);
    const e = arr(effT);
    for (let s = 0; s < S; s++)
      for (let g = 0; g < G; g++) {
        const want = hsScale(tau[s]!, cSq[s]!, lam[s * G + g]!) * z[s * G + g]!;
        expect(Math.abs(e[s * G + g]! - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
      }
    const psi = arr(draws.psi_mu_batch!);
    const zb = arr(draws.mu_batch_raw!);
    arr(effB).forEach((x, i) => {
      const want = Math.sqrt(psi[i]!) * zb[i]!;
      expect(Math.abs(x - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    });
  }, 60_000);
});
