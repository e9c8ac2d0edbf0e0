// Issue 20 item 2: `scribe de DATA --pseudobulk-by sample --groups cell_type` writes one table
// per cell type, equal to `scribe de` run on a pseudobulk matrix summed directly in this test.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@scribe/models/cli/main.js";
import type { Categorical } from "@scribe/models/io/index.js";
import { categorical, createAnnData, decodeCategorical, toCsr } from "@scribe/models/io/index.js";
import { writeH5ad } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { countsAnnData } from "./backed-fixtures.js";

const C = 600;
const G = 30;
const base = countsAnnData(C, G, 5);
const sample = decodeCategorical(base.obs.columns.sample as Categorical) as string[];
const cellType = base.obs.columns.cell_type as string[];
const condition = sample.map((s) => (Number(s.slice(1)) < 3 ? "A" : "B"));
const ad = createAnnData({
  X: toCsr(base.X),
  obs: { index: base.obs.index, columns: { sample: categorical(sample), cell_type: cellType, condition } },
  var: base.var,
});
const io = (err: string[]) => ({ stdout: () => {}, stderr: (t: string) => err.push(t), stderrIsTTY: false });

describe("scribe de --pseudobulk-by", () => {
  it("one table per cell type, equal to scribe de on directly summed samples", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-pbde-"));
    const data = join(dir, "cells.h5ad");
    await writeH5ad(data, ad);
    const out = join(dir, "tables");
    const err: string[] = [];
    const code = await runCli(
      [
        "de",
        data,
        "--pseudobulk-by",
        "sample",
        "--groups",
        "cell_type",
        "--condition",
        "condition",
        "--reference",
        "A",
        "--out",
        out,
        "--quiet",
      ],
      io(err),
    );
    expect(code, err.join("")).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["B.csv", "NK.csv", "T.csv"]);
    for (const type of ["B", "NK", "T"]) {
      // the reference: samples in order of first appearance among this type's cells
      const order: string[] = [];
      const sums = new Map<string, number[]>();
      for (let c = 0; c < C; c++) {
        if (cellType[c] !== type) continue;
        if (!sums.has(sample[c]!)) {
          order.push(sample[c]!);
          sums.set(sample[c]!, new Array(G).fill(0));
        }
        const row = sums.get(sample[c]!)!;
        for (let g = 0; g < G; g++) row[g] = row[g]! + base.X.data[c * G + g]!;
      }
      const ref = join(dir, `ref-${type}.h5ad`);
      await writeH5ad(
        ref,
        createAnnData({
          X: {
            format: "dense",
            data: Float64Array.from(order.flatMap((s) => sums.get(s)!)),
            shape: [order.length, G],
          },
          obs: {
            index: order,
            columns: { condition: order.map((s) => (Number(s.slice(1)) < 3 ? "A" : "B")) },
          },
          var: ad.var,
        }),
      );
      const refCsv = join(dir, `ref-${type}.csv`);
      const rc = await runCli(
        ["de", ref, "--condition", "condition", "--reference", "A", "--out", refCsv, "--quiet"],
        io(err),
      );
      expect(rc, err.join("")).toBe(0);
      expect(readFileSync(join(out, `${type}.csv`), "utf8")).toBe(readFileSync(refCsv, "utf8"));
    }
  }, 120_000);

  it("a condition that varies within a sample is an error naming both", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-pbde-"));
    const data = join(dir, "cells.h5ad");
    await writeH5ad(data, ad);
    const err: string[] = [];
    const code = await runCli(
      ["de", data, "--pseudobulk-by", "cell_type", "--condition", "condition", "--reference", "A"],
      io(err),
    );
    expect(code).toBe(1);
    expect(err.join("")).toMatch(/obs column 'condition' is not constant within group/);
  }, 180_000);
});
