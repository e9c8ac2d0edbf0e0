// Issue 20: a backed fit's expressionAnchor from the file's streaming pass. The pass sums each
// gene over the cells (float64, cell after cell) and keeps each cell's total, so the centres
// equal the in-memory anchor's exactly (the same sums in the same order: toEqual), and both
// equal the closed form log((ū_g + 1e−3)/ν̄) computed here from the dense fixture (to 1e-12:
// a different summation of the same integers, then one log).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray } from "@scribe/core";
import { fit } from "@scribe/models";
import { openBackedCounts } from "@scribe/models/io/backed-counts-node.js";
import { expressionAnchorLoc } from "@scribe/models/models/expression-anchor.js";
import { describe, expect, it } from "vitest";
import { countsAnnData, writeVariants } from "./backed-fixtures.js";

const C = 90;
const G = 12;
const ad = countsAnnData(C, G, 5);
const dir = mkdtempSync(join(tmpdir(), "scribe-backed-anchor-"));
const files = writeVariants(dir, ad);
const X = ad.X.data as Float32Array;

describe("streamed expressionAnchor", () => {
  it("the streaming pass's totals give the in-memory anchor centres", { timeout: 60_000 }, async () => {
    // blocks of 7 cells: the last block is partial
    const src = await openBackedCounts((await files).csr, { chunkCells: 7 });
    try {
      const geneSum = Array.from({ length: G }, (_, g) => {
        let s = 0;
        for (let c = 0; c < C; c++) s += X[c * G + g]!;
        return s;
      });
      const cellTotal = Array.from({ length: C }, (_, c) =>
        X.subarray(c * G, (c + 1) * G).reduce((a, b) => a + b),
      );
      expect(Array.from(src.geneSums)).toEqual(geneSum); // integer sums: exact
      expect(Array.from(src.librarySizes)).toEqual(cellTotal);
      const logM0 = Math.log(400);
      const nuBar = cellTotal.reduce((a, L) => a + Math.max(L, 1) / Math.exp(logM0), 0) / C;
      for (const ctx of [
        { variableCapture: false, logM0: null },
        { variableCapture: true, logM0 },
      ]) {
        const streamed = await expressionAnchorLoc(
          { geneSums: src.geneSums, cellTotals: src.librarySizes },
          ctx,
        );
        const inMemory = await expressionAnchorLoc(fromTypedArray(X, [C, G]), ctx);
        expect(streamed).toEqual(inMemory);
        const nu = ctx.variableCapture ? nuBar : 1;
        streamed.forEach((v, g) => {
          expect(v).toBeCloseTo(Math.log((geneSum[g]! / C + 1e-3) / nu), 12);
        });
      }
    } finally {
      src.close();
    }
  });

  it("fit --backed with expressionAnchor equals the in-memory anchored fit", {
    timeout: 120_000,
  }, async () => {
    const opts = {
      model: "nbdm" as const,
      unconstrained: true,
      expressionAnchor: true,
      nSteps: 12,
      batchSize: 30,
      seed: 3,
      learningRate: 0.01,
    };
    const mem = await fit(ad, opts);
    const backed = await fit((await files).dense, { ...opts, backed: true });
    const anchor = backed.results.meta.expressionAnchorLoc as number[];
    expect(anchor).toHaveLength(G);
    expect(anchor).toEqual(mem.results.meta.expressionAnchorLoc);
    expect(Array.from(backed.results.lossHistory)).toEqual(Array.from(mem.results.lossHistory));
  });
});
