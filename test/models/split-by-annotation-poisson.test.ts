/**
 * Regression (issue 14): `scribe fit --split-by COLUMN --annotation-key LABELS` of a capture
 * mixture (nbvcp, two components) on Poisson counts failed with "obs scribe_log_likelihood is
 * not finite" and wrote no results. Poisson counts (variance = mean) pull the NB success
 * probability toward its p → 0 limit, so after a short fit Beta guide factors of p and of
 * some cells' capture have a concentration below 1; their mode sat on the boundary (p = 1,
 * capture 0), where the NB likelihood of non-zero counts is NaN or −∞, and the per-cell
 * log-likelihood at the MAP broke for every such cell. Every level must now fit, and every
 * cell's log-likelihood must be finite and negative (the log-probability of non-certain
 * counts). Two cell types × two conditions, half the genes at low expression.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randPoisson } from "@scribe/models/de/simulate.js";
import { getNumericColumn } from "@scribe/models/io/index.js";
import { readH5ad } from "@scribe/models/io/node.js";
import { makeRng } from "@scribe/models/seeded-rng.js";
import { describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { writeCellsTenx } from "./write-cells-tenx.js";

const G = 20;
const CELLS_PER_GROUP = 40;

/** Poisson counts: genes 0–9 at means 0.05–0.5, genes 10–19 at 14–23, five times higher in T cells. */
function simulate(dir: string): string {
  const rng = makeRng(1);
  const rows: number[] = [];
  const condition: string[] = [];
  const celltype: string[] = [];
  for (const cond of ["ctrl", "trt"])
    for (const type of ["bcell", "tcell"])
      for (let c = 0; c < CELLS_PER_GROUP; c++) {
        condition.push(cond);
        celltype.push(type);
        for (let g = 0; g < G; g++) {
          const mean = g < G / 2 ? 0.05 * (g + 1) : (4 + g) * (type === "tcell" ? 5 : 1);
          rows.push(randPoisson(rng, mean));
        }
      }
  return writeCellsTenx(dir, rows, G, { condition, celltype });
}

describe("scribe fit --split-by with --annotation-key on Poisson-noise counts (issue 14)", () => {
  it("fits every level and writes a finite per-cell log-likelihood", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-split-poisson-"));
    const path = simulate(dir);
    const fits = join(dir, "fits");
    const run = await cli([
      "fit",
      path,
      "--split-by",
      "condition",
      "--model",
      "nbvcp",
      "--n-components",
      "2",
      "--annotation-key",
      "celltype",
      "--n-steps",
      "100",
      "--learning-rate",
      "0.05",
      "--n-samples",
      "5",
      "-q",
      "--out",
      fits,
    ]);
    expect(run.code, run.stderr).toBe(0);
    for (const level of ["ctrl", "trt"]) {
      const out = await readH5ad(join(fits, level, "results.h5ad"));
      const ll = getNumericColumn(out.obs, "scribe_log_likelihood");
      expect(ll).toHaveLength(2 * CELLS_PER_GROUP);
      for (const v of ll) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeLessThan(0);
      }
    }
  }, 120_000);
});
