/**
 * `scribe compare-models` end to end on a small simulated 10x folder: two fits saved as
 * `scribe fit` writes them, the three CSVs (checked against compareModels run in process with
 * the same seed and draws), the printed ranking, and the errors for fits of other data.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { key, random, splitKey, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { compareModels, fit, prepareCounts } from "@scribe/models";
import { runCli } from "@scribe/models/cli/main.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { afterAll, describe, expect, it } from "vitest";

const C = 120;
const G = 6;
const dir = mkdtempSync(join(tmpdir(), "scribe-compare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (t: string) => void out.push(t),
      stderr: (t: string) => void err.push(t),
      stderrIsTTY: false,
    },
    out,
    err,
  };
}

async function makeData(): Promise<string> {
  const [k1, k2] = splitKey(key(5), 2);
  const r = tensor(Array.from({ length: G }, (_, g) => 2 + g)).expand([C, G]);
  let u = new NegativeBinomialProbs(r, tensor(0.6).expand([C, G]), false).sample(k1!);
  u = u.mul(random.bernoulli(k2!, tensor(0.3), [C, G]).astype("float32").neg().add(1));
  const data = Float64Array.from(await u.data(), Number);
  const ad = createAnnData({ X: { format: "dense", data, shape: [C, G] } });
  const path = join(dir, "tenx");
  write10x(path, ad);
  return path;
}

describe("scribe compare-models", () => {
  it("writes models.csv, genes.csv and residuals.csv and prints the ranking", async () => {
    const dataPath = await makeData();
    const { adata } = await import("@scribe/models/cli/data.js").then((m) => m.loadData(dataPath));
    const fits = [];
    // 100 steps: the CSVs are checked against compareModels on the same fits, not for convergence
    for (const model of ["nbdm", "zinb"] as const) {
      const { results } = await fit(adata, {
        model,
        nSteps: 100,
        learningRate: 0.05,
        seed: 0,
        parameterization: "mean_prob",
      });
      const out = join(dir, model);
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, "params.json"), JSON.stringify(results.toJSON()));
      fits.push(results);
    }
    const cap = capture();
    const outDir = join(dir, "cmp");
    const code = await runCli(
      [
        "compare-models",
        join(dir, "nbdm"),
        join(dir, "zinb", "params.json"),
        "--data",
        dataPath,
        "--out",
        outDir,
        "--n-samples",
        "60",
        "--ppc-samples",
        "20",
        "--seed",
        "3",
      ],
      cap.io,
    );
    expect(code, cap.err.join("")).toBe(0);
    const printed = cap.out.join("");
    expect(printed).toMatch(/PSIS-LOO over 120 cells \(S = 60 draws\)/);
    expect(cap.err.join("")).toMatch(/drawn from the saved variational parameters/);

    const models = readFileSync(join(outDir, "models.csv"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(","));
    expect(models[0]!.slice(0, 8)).toEqual([
      "rank",
      "model",
      "fit",
      "elpd_loo",
      "se",
      "elpd_diff",
      "se_diff",
      "p_loo",
    ]);
    expect(models.length).toBe(3);
    const { counts } = prepareCounts(adata);
    const cmp = await compareModels(fits, counts, { nSamples: 60, seed: 3 });
    const ref = cmp.rank();
    ref.forEach((r, i) => {
      const row = models[i + 1]!;
      expect(row[1]).toBe(r.name);
      expect(Number(row[3])).toBeCloseTo(r.elpd, 9);
      expect(Number(row[14])).toBeCloseTo(r.stackingWeight, 9);
    });
    expect(printed).toContain(cmp.summary());
    expect(models.slice(1).reduce((a, row) => a + Number(row[14]), 0)).toBeCloseTo(1, 9);

    const genes = readFileSync(join(outDir, "genes.csv"), "utf8").trim().split("\n");
    expect(genes.length).toBe(G + 1);
    expect(genes[0]).toMatch(/^gene,elpd_nbdm,elpd_zinb,favoured,/);
    const resid = readFileSync(join(outDir, "residuals.csv"), "utf8").trim().split("\n");
    expect(resid.length).toBe(2 * G + 1);
    expect(resid[0]).toBe(
      "model,gene,mean,variance,tail_excess,ks,ks_pvalue,gof_pass,ppc_failure_rate,ppc_l1,ppc_pass",
    );
    expect(resid.slice(1).every((l) => !l.includes("NaN"))).toBe(true);
  }, 180_000);

  it("fits of other cells or genes than DATA are a clear error", async () => {
    const dataPath = join(dir, "tenx");
    const { loadData } = await import("@scribe/models/cli/data.js");
    const { adata } = await loadData(dataPath);
    // the same cells, the first 5 genes only
    const sub = createAnnData({
      X: {
        format: "dense",
        data: Float64Array.from(await prepareCounts(adata).counts.slice([0, 0], [C, 5]).data(), Number),
        shape: [C, 5],
      },
      obs: { index: adata.obs.index, columns: {} },
      var: { index: adata.var.index.slice(0, 5), columns: {} },
    });
    const { results } = await fit(sub, { model: "nbdm", nSteps: 20, seed: 0 });
    const out = join(dir, "sub");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "params.json"), JSON.stringify(results.toJSON()));
    const cap = capture();
    const code = await runCli(
      ["compare-models", join(dir, "nbdm"), out, "--data", dataPath, "--out", join(dir, "cmp2"), "-q"],
      cap.io,
    );
    expect(code).toBe(1);
    expect(cap.err.join("")).toMatch(/fit .*sub was not made on .*: 5 genes, DATA has 6/);

    const cap2 = capture();
    expect(await runCli(["compare-models", join(dir, "nbdm"), "--data", dataPath], cap2.io)).toBe(2);
    expect(cap2.err.join("")).toMatch(/need at least two fits/);
    const cap3 = capture();
    expect(
      await runCli(
        ["compare-models", join(dir, "nbdm"), join(dir, "nope"), "--data", dataPath, "-q"],
        cap3.io,
      ),
    ).toBe(1);
    expect(cap3.err.join("")).toMatch(/no such fit: .*nope/);
  }, 120_000);
});
