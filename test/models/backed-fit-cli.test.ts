// Issue 20 item 1: `scribe fit DATA.h5ad --backed --batch-size B` streams the minibatches from
// the file; its params.json equals the in-memory `scribe fit` run's with the same flags and seed
// (the fit is bit-identical, test/models/backed-fit.test.ts), and it refuses flags that need
// the whole matrix by name.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    const line = JSON.parse(bk.stdout.trim()) as { steps: number; h5ad: null; backed: boolean };
    expect(line).toMatchObject({ steps: 20, h5ad: null, backed: true });
    const a = JSON.parse(readFileSync(join(dir, "mem", "params.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(dir, "backed", "params.json"), "utf8"));
    expect(b.params).toEqual(a.params);
    expect(b.lossHistory).toEqual(a.lossHistory);
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
