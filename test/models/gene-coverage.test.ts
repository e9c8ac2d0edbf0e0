/**
 * Gene coverage (SCRIBE `gene_coverage`, see docs/SOURCES.md): the fewest genes reaching a
 * cumulative count fraction are kept (in their original order), the rest are summed into a
 * trailing `_other` gene that is fitted like the others.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, GENE_COVERAGE_OTHER, geneCoverageSelection, ScribeResults } from "@scribe/models";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { createAnnData, toDense } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const C = 150;
// the large genes are not first, so "original order" and "largest first" differ
const MEANS = [2, 50, 0.5, 30, 1, 10, 5, 0.5];
const G = MEANS.length;
const NAMES = MEANS.map((_, g) => `gene${g}`);

function simulate(seedNo: number): { counts: Tensor; rows: number[][] } {
  const p = tensor(0.5).expand([C, G]);
  const counts = new NegativeBinomialProbs(tensor(MEANS).expand([C, G]), p, false).sample(key(seedNo));
  const flat = Array.from(counts.dataSync() as ArrayLike<number>, Number);
  return { counts, rows: Array.from({ length: C }, (_, c) => flat.slice(c * G, (c + 1) * G)) };
}

/** The expected selection, by brute force: the smallest prefix of the genes sorted by total that reaches the fraction. */
function expectedKept(rows: number[][], fraction: number): number[] {
  const totals = NAMES.map((_, g) => rows.reduce((a, r) => a + r[g]!, 0));
  const all = totals.reduce((a, b) => a + b, 0);
  const order = totals.map((t, g) => [t, g] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let n = 1; n <= G; n++) {
    const top = order.slice(0, n);
    if (top.reduce((a, [t]) => a + t, 0) >= fraction * all)
      return top.map(([, g]) => g).sort((a, b) => a - b);
  }
  return NAMES.map((_, g) => g);
}

describe("geneCoverageSelection", () => {
  it("keeps the fewest genes reaching the fraction, in original order", () => {
    expect(geneCoverageSelection([10, 60, 30], 0.85)).toEqual({ kept: [1, 2], pooled: [0] });
    expect(geneCoverageSelection([10, 60, 30], 0.6)).toEqual({ kept: [1], pooled: [0, 2] });
    expect(geneCoverageSelection([10, 60, 30], 1)).toEqual({ kept: [0, 1, 2], pooled: [] });
    // ties go to the lower index
    expect(geneCoverageSelection([5, 5, 5, 5], 0.5)).toEqual({ kept: [0, 1], pooled: [2, 3] });
    expect(() => geneCoverageSelection([1, 2], 0)).toThrow(/fraction in \(0, 1\]/);
    expect(() => geneCoverageSelection([1, 2], 1.5)).toThrow(/fraction in \(0, 1\]/);
  });
});

describe("fit({ geneCoverage })", () => {
  it("fits the kept genes and _other = the sum of the pooled genes; the _other mean matches the data's", async () => {
    const { counts, rows } = simulate(2);
    const kept = expectedKept(rows, 0.9);
    const pooled = NAMES.map((_, g) => g).filter((g) => !kept.includes(g));
    expect(pooled.length).toBeGreaterThan(0);
    const adata = createAnnData({
      X: { format: "dense", data: Float32Array.from(counts.dataSync() as ArrayLike<number>), shape: [C, G] },
      var: NAMES,
    });
    const { results } = await fit(adata, {
      model: "nbdm",
      parameterization: "mean_prob",
      geneCoverage: 0.9,
      // mean_prob: the means are the sampled sites, so 300 steps at lr 0.1 settle them (max rel
      // err 0.042 measured; 800 steps at 0.05 before)
      nSteps: 300,
      learningRate: 0.1,
      seed: 0,
    });
    expect(results.varNames).toEqual([...kept.map((g) => NAMES[g]!), GENE_COVERAGE_OTHER]);
    expect(results.nGenes).toBe(kept.length + 1);
    expect((results.meta.geneCoverage as { pooledGenes: string[] }).pooledGenes).toEqual(
      pooled.map((g) => NAMES[g]!),
    );
    const mu = Array.from(results.getMap().mu!.dataSync(), Number);
    const dataMean = (gs: number[]) => rows.reduce((a, r) => a + gs.reduce((x, g) => x + r[g]!, 0), 0) / C;
    const want = [...kept.map((g) => dataMean([g])), dataMean(pooled)];
    const err = Math.max(...mu.map((m, j) => Math.abs(m - want[j]!) / want[j]!));
    console.log(
      `gene coverage: kept ${kept}, MAP mu ${mu.map((x) => x.toFixed(2))} vs means ${want.map((x) => x.toFixed(2))}`,
    );
    // MAP of an NB mean from 150 cells after a short fit: within 10 % (sampling sd of the means ≤ 6 %)
    expect(err).toBeLessThan(0.1);
  }, 180_000);
});

describe("scribe fit --gene-coverage", () => {
  it("writes results over the kept genes and _other, and records the pooling step", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-coverage-cli-"));
    const { counts, rows } = simulate(3);
    const data = join(dir, "sim");
    write10x(
      data,
      createAnnData({
        X: {
          format: "dense",
          data: Float32Array.from(counts.dataSync() as ArrayLike<number>),
          shape: [C, G],
        },
        var: NAMES,
      }),
    );
    let stderr = "";
    const io: CliIO = {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      stderrIsTTY: false,
    };
    const out = join(dir, "out");
    const args = ["fit", data, "--model", "nbdm", "--gene-coverage", "0.8", "--n-steps", "5"];
    args.push("--n-samples", "2", "--out", out, "-q");
    expect(await runCli(args, io), stderr).toBe(0);
    const kept = expectedKept(rows, 0.8);
    const res = ScribeResults.fromJSON(JSON.parse(readFileSync(join(out, "params.json"), "utf8")));
    expect(res.varNames).toEqual([...kept.map((g) => NAMES[g]!), GENE_COVERAGE_OTHER]);
    const h5 = await readH5ad(join(out, "results.h5ad"));
    expect(h5.var.index).toEqual(res.varNames);
    // the written X holds the pooled counts: the last column is the row sum of the pooled genes
    const X = toDense(h5.X, "float64");
    const W = kept.length + 1;
    const pooled = NAMES.map((_, g) => g).filter((g) => !kept.includes(g));
    for (let c = 0; c < C; c++) {
      expect(Number(X.data[c * W + W - 1])).toBe(pooled.reduce((a, g) => a + rows[c]![g]!, 0));
      kept.forEach((g, j) => {
        expect(Number(X.data[c * W + j])).toBe(rows[c]![g]!);
      });
    }
    const steps = JSON.stringify((h5.uns.scribe as Record<string, unknown>).preprocessing);
    expect(steps).toMatch(/gene coverage 0.8: kept \d+ genes, pooled \d+ into _other/);
  }, 180_000);
});
