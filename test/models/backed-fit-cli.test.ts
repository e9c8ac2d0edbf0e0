// Issue 20 item 1: `scribe fit DATA.h5ad --backed --batch-size B` streams the minibatches from
// the file; its params.json equals the in-memory `scribe fit` run's with the same flags and seed
// (the fit is bit-identical, test/models/backed-fit.test.ts), and it refuses flags that need
// the whole matrix by name. Its results.h5ad has no X (the counts stay in the data file) and the
// in-memory run's obs, var and var summaries (the same params and seed give the same draws).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withH5 } from "@scribe/models/io/h5-runtime.js";
import { readFrame } from "@scribe/models/io/h5ad-read.js";
import type { Group } from "h5wasm";
import { describe, expect, it } from "vitest";
import { countsAnnData, writeVariants } from "./backed-fixtures.js";
import { cliInProcess } from "./cli-in-process.js";

const dir = mkdtempSync(join(tmpdir(), "scribe-backed-cli-"));
const files = writeVariants(dir, countsAnnData(120, 10, 3));

describe("scribe fit --backed", () => {
  it("writes the in-memory run's params from a CSR file", { timeout: 120_000 }, async () => {
    const { csr } = await files;
    const common = ["--model", "nbdm", "--n-steps", "20", "--batch-size", "32", "--seed", "9", "--quiet"];
    const mem = await cliInProcess(["fit", csr, ...common, "--out", join(dir, "mem")]);
    expect(mem.code, mem.stderr).toBe(0);
    const bk = await cliInProcess(["fit", csr, ...common, "--backed", "--out", join(dir, "backed")]);
    expect(bk.code, bk.stderr).toBe(0);
    const line = JSON.parse(bk.stdout.trim()) as { steps: number; h5ad: string; backed: boolean };
    expect(line).toMatchObject({ steps: 20, h5ad: join(dir, "backed", "results.h5ad"), backed: true });
    const a = JSON.parse(readFileSync(join(dir, "mem", "params.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(dir, "backed", "params.json"), "utf8"));
    expect(b.params).toEqual(a.params);
    expect(b.lossHistory).toEqual(a.lossHistory);
    // results.h5ad: read at the HDF5 level (readH5ad refuses a file without X)
    const tables = (path: string) =>
      withH5((lib) => {
        const f = new lib.File(path, "r");
        try {
          const uns = (f.get("uns/scribe") as Group).keys();
          return {
            keys: f.keys(),
            obs: readFrame(f.get("obs") as Group),
            var: readFrame(f.get("var") as Group),
            uns,
          };
        } finally {
          f.close();
        }
      });
    const m = await tables(join(dir, "mem", "results.h5ad"));
    const k = await tables(line.h5ad);
    expect(m.keys).toContain("X");
    expect(k.keys).not.toContain("X");
    expect(k.var).toEqual(m.var);
    expect(k.var.columns.scribe_r_mean).toHaveLength(10);
    expect(k.obs.index).toEqual(m.obs.index);
    // per-cell columns that need the counts are left out; the file's own columns are kept
    const { scribe_log_likelihood, ...memObs } = m.obs.columns;
    expect(scribe_log_likelihood).toHaveLength(120);
    expect(k.obs.columns).toEqual(memObs);
    expect(k.uns).toContain("loss_history");
    expect(k.uns).toContain("backed");
  });

  it("refuses flags and files it cannot stream, naming them", { timeout: 60_000 }, async () => {
    const { csr, csc } = await files;
    const out = ["--out", join(dir, "bad")];
    const noBatch = await cliInProcess(["fit", csr, "--backed", "--n-steps", "2", ...out]);
    expect(noBatch.code).not.toBe(0);
    expect(noBatch.stderr).toMatch(/no batchSize/);
    const raw = await cliInProcess([
      "fit",
      csr,
      "--backed",
      "--batch-size",
      "8",
      "--raw",
      "--min-genes",
      "2",
      ...out,
    ]);
    expect(raw.code).not.toBe(0);
    expect(raw.stderr).toMatch(/--raw.*data filters \(minGenes\)/);
    const cscRun = await cliInProcess([
      "fit",
      csc,
      "--backed",
      "--batch-size",
      "8",
      "--n-steps",
      "2",
      ...out,
    ]);
    expect(cscRun.code).not.toBe(0);
    expect(cscRun.stderr).toMatch(/CSC/);
  });
});
