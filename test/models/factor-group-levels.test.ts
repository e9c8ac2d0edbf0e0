/**
 * SCRIBE's structural `hierarchy` form (a list of GroupLevel factors with nested_in,
 * effect_type and fixed_scale; upstream models/config/grouping.py), read by
 * models/group-levels.ts into our options: the factor columns, the child → parent map, and each
 * factor's effect type (carried by `datasetFactors.effects`, applied to every dataset parameter
 * as `priors` level entries would be). Checked through the model built from them: a "fixed"
 * factor's effects get N(0, fixed_scale), a "random" (default) one a learned scale.
 */
import { latentSiteSpecs, makeConfig, type PriorsInput } from "@scribe/models";
import {
  datasetDesign,
  type GroupLevelDesign,
  groupLevelDesign,
} from "@scribe/models/models/group-levels.js";
import { describe, expect, it } from "vitest";

describe("structural hierarchy (GroupLevel list)", () => {
  const design = groupLevelDesign([
    { name: "treat", effect_type: "fixed", fixed_scale: 2 },
    { name: "donor", nested_in: "treat" },
  ]);

  it("reads names, nesting and effect types (SCRIBE's default effect_type is random)", () => {
    expect(design.datasetKey).toEqual(["treat", "donor"]);
    expect(design.hierarchy).toEqual({ donor: "treat" });
    expect(design.effects).toEqual({
      treat: { effect_type: "fixed", fixed_scale: 2 },
      donor: { effect_type: "random" },
    });
    expect(groupLevelDesign(["a", "b"]).effects.b).toEqual({ effect_type: "random" });
  });

  /** The 2 treatments × 4 donors design with the effect types, and `priors`, as a model config. */
  const configOf = (
    priors: PriorsInput,
    datasetParams?: ("mu" | "phi")[],
    effects: GroupLevelDesign["effects"] | null = design.effects,
  ) =>
    makeConfig("nbdm", {
      nCells: 4,
      nGenes: 2,
      parameterization: "mean_odds",
      unconstrained: true,
      datasetIndices: [0, 1, 2, 3],
      datasetFactors: {
        names: design.datasetKey,
        levels: [
          ["t0", "t1"],
          ["d0", "d1", "d2", "d3"],
        ],
        hierarchy: design.hierarchy,
        combinations: [
          [0, 0],
          [0, 1],
          [1, 2],
          [1, 3],
        ],
        ...(effects ? { effects } : {}),
      },
      ...(datasetParams ? { datasetParams } : {}),
      priors,
    });

  it("the model gets treat effects ~ N(0, 2) and donor effects with a learned scale, on every dataset parameter", () => {
    const cfg = configOf({ mean_expression: { base: [1, 2] } });
    const specs = new Map(latentSiteSpecs(cfg).map((s) => [s.name, s]));
    expect(specs.get("log_mu_treat_effect")!.family).toEqual({ kind: "normal", loc: 0, scale: 2 });
    expect(specs.has("log_mu_treat_scale")).toBe(false);
    expect(specs.get("log_mu_donor_effect")!.family).toMatchObject({
      kind: "tnormal",
      scale: "log_mu_donor_scale",
    });
    expect(specs.get("log_mu_loc")!.family).toEqual({ kind: "normal", loc: 1, scale: 2 });
    // the same sites as the effect types written as priors levels
    const asPriors = configOf(
      {
        mean_expression: {
          base: [1, 2],
          treat: { effect_type: "fixed", fixed_scale: 2 },
          donor: { effect_type: "random" },
        },
      },
      undefined,
      null,
    );
    expect(latentSiteSpecs(asPriors)).toEqual(latentSiteSpecs(cfg));
    // with phi a dataset parameter too, its treat effects are N(0, 2) as well
    const both = new Map(latentSiteSpecs(configOf({}, ["mu", "phi"])).map((s) => [s.name, s]));
    expect(both.get("log_phi_treat_effect")!.family).toEqual({ kind: "normal", loc: 0, scale: 2 });
    expect(both.get("log_mu_treat_effect")!.family).toEqual({ kind: "normal", loc: 0, scale: 2 });
  });

  it("refuses what upstream refuses, and a family that contradicts a fixed effect", () => {
    expect(() => groupLevelDesign([])).toThrow(/expected a list of factors/);
    expect(() => groupLevelDesign([{ name: "a" }, { name: "a" }])).toThrow(/'a' is declared twice/);
    expect(() => groupLevelDesign([{ name: "b", nested_in: "a" }, { name: "a" }])).toThrow(
      /nested_in "a", which is not a factor declared before it/,
    );
    expect(() => groupLevelDesign([{ name: "a", nested_in: "a" }])).toThrow(/cannot be nested in itself/);
    expect(() => groupLevelDesign([{ name: "a", effect_type: "mixed" }])).toThrow(
      /effect_type must be "random" or "fixed"/,
    );
    expect(() => groupLevelDesign([{ name: "a", fixed_scale: 2 }])).toThrow(
      /fixed_scale applies to effect_type "fixed"/,
    );
    expect(() => groupLevelDesign([{ name: "a", effect_type: "fixed", fixed_scale: 0 }])).toThrow(
      /positive number/,
    );
    expect(() => groupLevelDesign([{ name: "a", nest: "b" }])).toThrow(/unknown field\(s\) nest/);
    expect(() => configOf({ mu: { treat: "horseshoe" } })).toThrow(
      /priors for 'mu' give factor 'treat' the family .*"horseshoe".*effect_type "fixed"/,
    );
    // a random factor keeps the family the priors give it
    const neg = new Map(latentSiteSpecs(configOf({ mu: { donor: "neg" } })).map((s) => [s.name, s]));
    expect(neg.has("zeta_mu_donor")).toBe(true);
    expect(neg.get("log_mu_treat_effect")!.family).toEqual({ kind: "normal", loc: 0, scale: 2 });
    // datasetKey beside a list must name the same columns; one fixed factor alone is refused
    expect(datasetDesign({ datasetKey: "treat,donor", hierarchy: ["treat", "donor"] }).columns).toEqual([
      "treat",
      "donor",
    ]);
    expect(() => datasetDesign({ datasetKey: "donor,treat", hierarchy: ["treat", "donor"] })).toThrow(
      /datasetKey "donor,treat" and hierarchy \(factors treat, donor\) name different factors/,
    );
    expect(() => datasetDesign({ hierarchy: [{ name: "treat", effect_type: "fixed" }] })).toThrow(
      /hierarchy\[0\]: factor 'treat' alone .* "fixed" needs several factors/,
    );
  });
});
