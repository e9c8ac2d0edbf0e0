import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { highlyVariableGenes, hvgStats, loessFit } from "@scribe/models/cli/hvg.js";
import { describe, expect, it } from "vitest";

// Reference: R's stats::loess (surface "direct") and the Seurat v3 score computed in R by
// test/fixtures/hvg/seurat-v3.R on a seeded NB matrix (80 cells × 60 genes, two constant genes).
const ref = JSON.parse(
  readFileSync(fileURLToPath(new URL("../fixtures/hvg/seurat-v3.json", import.meta.url)), "utf8"),
) as {
  nCells: [number];
  nGenes: [number];
  counts: number[];
  logTrend: number[];
  normalizedVariance: number[];
  top15: number[];
};
const N = ref.nCells[0];
const G = ref.nGenes[0];
const counts = { format: "dense" as const, data: Float64Array.from(ref.counts), shape: [N, G] as const };

describe("Seurat v3 highly variable genes", () => {
  it("the loess trend and normalised variances equal R's (float64 throughout: 1e-9 relative)", () => {
    const s = hvgStats(counts);
    ref.logTrend.forEach((t, j) => {
      expect(Math.log10(s.varianceExpected[j]!)).toBeCloseTo(t, 9);
    });
    ref.normalizedVariance.forEach((v, j) => {
      expect(Math.abs(s.normalizedVariance[j]! - v)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
    });
    // the two constant genes score 0 (columns 7 and 11 in R, 1-based)
    expect(s.normalizedVariance[6]).toBe(0);
    expect(s.normalizedVariance[10]).toBe(0);
  });

  it("selects R's top 15 genes", () => {
    expect(highlyVariableGenes(counts, 15)).toEqual(ref.top15);
  });

  it("the same selection from a CSR copy of the matrix", () => {
    const data: number[] = [];
    const indices: number[] = [];
    const indptr = [0];
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < G; j++) {
        const v = ref.counts[i * G + j]!;
        if (v !== 0) {
          data.push(v);
          indices.push(j);
        }
      }
      indptr.push(data.length);
    }
    const csr = {
      format: "csr" as const,
      data: Float64Array.from(data),
      indices: Int32Array.from(indices),
      indptr: Int32Array.from(indptr),
      shape: [N, G] as const,
    };
    expect(highlyVariableGenes(csr, 15)).toEqual(ref.top15);
  });

  it("loess reproduces a quadratic exactly (local quadratic fit)", () => {
    const x = Array.from({ length: 40 }, (_, i) => i / 7 - 2);
    const y = x.map((v) => 1 - 2 * v + 0.5 * v * v);
    const f = loessFit(x, y, 0.3);
    for (const [i, v] of y.entries()) expect(f[i]).toBeCloseTo(v, 10);
  });

  it("n ≥ genes keeps every gene; bad n is an error", () => {
    expect(highlyVariableGenes(counts, G + 5)).toEqual(Array.from({ length: G }, (_, j) => j));
    expect(() => highlyVariableGenes(counts, 0)).toThrow(/--hvg must be a positive integer/);
  });
});
