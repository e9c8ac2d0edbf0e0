/**
 * Component labels round trip (issue 14): `scribe fit --annotation-key` stores the annotation
 * levels as `meta.componentLabels` in params.json, and `scribe compare --component LABEL`
 * picks that component on both sides: the CSV by label equals the CSV by the label's index
 * (same seed), and differs between the two labels. A label that is not there is an error
 * naming the labels, and writes nothing. (Whether component k actually fits cell type k is
 * a property of the fit, not of the persistence, and is not asserted here.)
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key } from "@scribe/core";
import { GammaStream } from "@scribe/models/de/bayesian/index.js";
import { describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { writeCellsTenx } from "./write-cells-tenx.js";

const G = 8;

/** Gamma(r) expression rounded to counts (the composition signal is all the test needs). */
function nbDraw(rng: GammaStream, r: number): number {
  return Math.round(Math.exp(rng.logGamma(r)));
}

function simulate(dir: string): string {
  const perCell = 40;
  const rng = new GammaStream(key(21));
  const rows: number[] = [];
  const condition: string[] = [];
  const celltype: string[] = [];
  for (const cond of ["ctrl", "trt"])
    for (const type of ["bcell", "tcell"])
      for (let c = 0; c < perCell; c++) {
        condition.push(cond);
        celltype.push(type);
        for (let g = 0; g < G; g++) {
          // T cells express genes 4–7 six times higher; gene0 is 8× up in trt T cells
          let r = 8 + g;
          if (type === "tcell" && g >= 4) r *= 6;
          if (type === "tcell" && cond === "trt" && g === 0) r *= 8;
          rows.push(nbDraw(rng, r));
        }
      }
  return writeCellsTenx(dir, rows, G, { condition, celltype });
}

describe("componentLabels: scribe fit --annotation-key → folder → scribe compare --component LABEL", () => {
  it("stores the labels, compares by label, and refuses an unknown label without writing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-labels-"));
    const data = simulate(dir);
    const fits = join(dir, "fits");
    const fit = await cli([
      "fit",
      data,
      "--split-by",
      "condition",
      "--model",
      "nbdm",
      "--n-components",
      "2",
      "--annotation-key",
      "celltype",
      "--n-steps",
      "40",
      "--learning-rate",
      "0.05",
      "--n-samples",
      "5",
      "-q",
      "--out",
      fits,
    ]);
    expect(fit.code, fit.stderr).toBe(0);
    for (const level of ["ctrl", "trt"]) {
      const params = JSON.parse(readFileSync(join(fits, level, "params.json"), "utf8")) as {
        meta: { componentLabels?: string[] };
      };
      // annotation levels sorted (models/annotation.ts): component k is label k
      expect(params.meta.componentLabels).toEqual(["bcell", "tcell"]);
    }
    const compareBy = async (component: string, out: string) =>
      cli([
        "compare",
        join(fits, "trt"),
        join(fits, "ctrl"),
        "--component",
        component,
        "--n-samples",
        "100",
        "--tau",
        "0.5",
        "-q",
        "--out",
        out,
      ]);
    // a label selects the component of that index on both sides: same seed, same draws, same CSV
    for (const [label, index] of [
      ["bcell", "0"],
      ["tcell", "1"],
    ] as const) {
      const byLabel = join(dir, `${label}.csv`);
      const byIndex = join(dir, `${index}.csv`);
      const l = await compareBy(label, byLabel);
      expect(l.code, l.stderr).toBe(0);
      const x = await compareBy(index, byIndex);
      expect(x.code, x.stderr).toBe(0);
      expect(readFileSync(byLabel, "utf8")).toBe(readFileSync(byIndex, "utf8"));
    }
    // and the two components give different comparisons (the label is not ignored)
    expect(readFileSync(join(dir, "bcell.csv"), "utf8")).not.toBe(
      readFileSync(join(dir, "tcell.csv"), "utf8"),
    );

    const bad = join(dir, "bad.csv");
    const r = await compareBy("nkcell", bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no component labelled "nkcell".*bcell, tcell/);
    expect(existsSync(bad)).toBe(false);
  }, 240_000);
});
