/**
 * `--out-root`'s run folder (Hydra's override_dirname): a mapping or a list of mappings given as
 * a `key=value` override is written out in the folder name, so two different values get two
 * folders (it was "[object Object]" for every mapping, so runs overwrote each other).
 */
import { outTreeFolder } from "@scribe/models/cli/fit-plan.js";
import { describe, expect, it } from "vitest";

describe("outTreeFolder", () => {
  const folder = (commandLine: Record<string, unknown>) =>
    outTreeFolder("/r", "data/pbmc.h5ad", "nbdm", "svi", commandLine as never);

  it("plain values and lists of them as before", () => {
    expect(folder({ "inference.n_steps": 500 })).toBe("/r/pbmc/nbdm/svi/n_steps=500");
    expect(folder({})).toBe("/r/pbmc/nbdm/svi/defaults");
  });

  it("mappings and lists of mappings keep their content, and differ from each other", () => {
    const a = folder({ "model.hierarchy": [{ name: "treat" }, { name: "donor", nested_in: "treat" }] });
    const b = folder({ "model.hierarchy": [{ name: "treat", effect_type: "fixed", fixed_scale: 2 }] });
    const c = folder({ "model.priors": { mean_expression: { treat: "horseshoe" } } });
    for (const f of [a, b, c]) expect(f).not.toMatch(/object/);
    expect(a).toContain("donor");
    expect(c).toContain("horseshoe");
    expect(new Set([a, b, c]).size).toBe(3);
  });
});
