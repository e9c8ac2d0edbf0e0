/**
 * `scribe compare-models` with a TwoState fit beside an NB one (issue 15): the TwoState
 * model's randomized quantile residuals reach residuals.csv (no NA columns; per gene equal to
 * `quantileResiduals` run in process on the same saved fit, counts and seed), its PPC columns
 * are filled, and both models are drawn in residuals-qq.svg.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, splitKey, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, prepareCounts, quantileResiduals, ScribeResults } from "@scribe/models";
import { loadData } from "@scribe/models/cli/data.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { afterAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";

const C = 80;
const G = 4;
const dir = mkdtempSync(join(tmpdir(), "scribe-cmp-twostate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scribe compare-models with a TwoState fit", () => {
  it("writes the TwoState residuals to residuals.csv and residuals-qq.svg", async () => {
    const [k1] = splitKey(key(11), 2);
    const r = tensor([2, 4, 6, 3]).expand([C, G]);
    const u = new NegativeBinomialProbs(r, tensor(0.7).expand([C, G]), false).sample(k1!);
    const data = Float64Array.from(await u.data(), Number);
    const dataPath = join(dir, "tenx");
    write10x(dataPath, createAnnData({ X: { format: "dense", data, shape: [C, G] } }));
    const { adata } = await loadData(dataPath);
    for (const [name, opts] of [
      ["nbdm", { model: "nbdm", parameterization: "mean_prob" }],
      ["twostate", { model: "twostate", parameterization: "mean_fano", nQuadNodes: 16 }],
    ] as const) {
      // 50 steps: the CSV is checked against quantileResiduals on the same saved fit, not for convergence
      const { results } = await fit(adata, { ...opts, nSteps: 50, learningRate: 0.05, seed: 0 });
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, "params.json"), JSON.stringify(results.toJSON()));
    }
    const outDir = join(dir, "cmp");
    const run = await cli([
      "compare-models",
      join(dir, "nbdm"),
      join(dir, "twostate"),
      "--data",
      dataPath,
      "--out",
      outDir,
      "--n-samples",
      "30",
      "--ppc-samples",
      "10",
      "--seed",
      "4",
      "-q",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/residual columns are NA/);

    const lines = readFileSync(join(outDir, "residuals.csv"), "utf8").trim().split("\n");
    expect(lines.length).toBe(2 * G + 1);
    const rows = lines.slice(1).map((l) => l.split(","));
    const two = rows.filter((r) => r[0] === "twostate");
    expect(two.length).toBe(G);
    // the same saved fit, counts and seed in process: the same residual summaries
    const saved = ScribeResults.fromJSON(
      JSON.parse(readFileSync(join(dir, "twostate", "params.json"), "utf8")) as Record<string, unknown>,
    );
    const ref = await quantileResiduals(saved, prepareCounts(adata).counts, { seed: 4 });
    two.forEach((row, g) => {
      expect(row[1]).toBe(adata.var.index[g]);
      // mean, variance, tail_excess, ks, ks_pvalue: written with String(v), read back exactly
      expect(row.slice(2, 7).map(Number)).toEqual([
        ref.mean[g],
        ref.variance[g],
        ref.tailExcess[g],
        ref.ks[g],
        ref.ksPValue[g],
      ]);
      expect(["true", "false"]).toContain(row[7]);
      // the PPC columns too (predictive draws of the TwoState model)
      expect(row.slice(8, 11).every((v) => v !== "NA" && v !== "NaN")).toBe(true);
    });

    const svgPath = join(outDir, "residuals-qq.svg");
    expect(existsSync(svgPath)).toBe(true);
    const svg = readFileSync(svgPath, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("twostate");
    expect(svg).toContain("nbdm");
  }, 240_000);
});
