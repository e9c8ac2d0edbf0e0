import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveFitPlan } from "@scribe/models/cli/fit-plan.js";
import { highlyVariableGenes } from "@scribe/models/cli/hvg.js";
import type { AnnData } from "@scribe/models/io/index.js";
import { createAnnData, decodeCategorical, isCategorical, subsetCells } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";

// `scribe fit` flags and config files of issue 16 item 5, run in process on a 40 × 10 10x
// folder with an obs column `group` (A on odd cells, B on even ones). Each check reads the
// written params.json / results.h5ad, not only the exit status.

const C = 40;
const G = 10;
let dir: string;
let tenx: string;

/** A fit with few steps and draws (the checks are about options, not about convergence). */
async function fitOk(args: string[]): Promise<{ out: string; steps: number }> {
  const r = await cli(["fit", tenx, "--n-samples", "2", "-q", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { out: string; steps: number };
}

function params(out: string): {
  modelType: string;
  options: Record<string, unknown>;
  params: Record<string, { shape: number[] }>;
  lossHistory: number[];
  inferenceMethod: string;
} {
  return JSON.parse(readFileSync(join(out, "params.json"), "utf8"));
}

function obsStrings(ad: AnnData, name: string): string[] {
  const col = ad.obs.columns[name];
  if (!col) throw new Error(`no obs column ${name}`);
  return isCategorical(col)
    ? (decodeCategorical(col) as string[])
    : (col as unknown as unknown[]).map(String);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scribe-parity-"));
  const data = new Float64Array(C * G);
  let s = 11;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = (s >> 8) % ((i % G) + 2);
  }
  // gene 9 is detected in cells 0, 1 and 2 only (so --min-cells has something to drop)
  for (let c = 0; c < C; c++) data[c * G + 9] = c < 3 ? 4 : 0;
  // cell 5 has a single detected gene (so --min-genes has something to drop)
  for (let g = 0; g < G; g++) data[5 * G + g] = g === 0 ? 3 : 0;
  tenx = join(dir, "tenx");
  write10x(
    tenx,
    createAnnData({
      X: { format: "dense", data, shape: [C, G] },
      obs: {
        index: Array.from({ length: C }, (_, i) => `c${i}`),
        columns: { group: Array.from({ length: C }, (_, i) => (i % 2 ? "A" : "B")) },
      },
    }),
  );
});

describe("scribe fit: config files and overrides", () => {
  it("--initialize writes a template; --config template reproduces the defaults' fit exactly", async () => {
    const tpl = join(dir, "template.yaml");
    const init = await cli(["fit", "--initialize", tpl]);
    expect(init.code, init.stderr).toBe(0);
    const text = readFileSync(tpl, "utf8");
    expect(text).toMatch(/^# /m);
    expect(text).toMatch(/^ {2}type: nbvcp$/m);
    expect(text).toMatch(/^ {2}n_steps: 50000$/m);
    const a = await fitOk(["--n-steps", "12", "--out", join(dir, "defaults")]);
    const b = await fitOk(["--config", tpl, "--n-steps", "12", "--out", join(dir, "from-template")]);
    expect(b.steps).toBe(a.steps);
    const pa = params(a.out);
    const pb = params(b.out);
    expect(pb.modelType).toBe("nbvcp");
    expect(pb.params).toEqual(pa.params);
    expect(pb.lossHistory).toEqual(pa.lossHistory);
    expect(pb.options).toEqual(pa.options);
    // a second --initialize does not overwrite
    expect((await cli(["fit", "--initialize", tpl])).code).toBe(1);
  }, 180_000);

  it("YAML sections and key=value overrides (overrides beat the file, flags beat overrides)", async () => {
    const cfg = join(dir, "sweep.yaml");
    writeFileSync(
      cfg,
      "model:\n  type: nbdm\n  parameterization: mean_prob\ninference:\n  n_steps: 9\nguide:\n  rank: 1\n",
    );
    const r = await fitOk([
      "--config",
      cfg,
      "guide.rank=2",
      "model.parameterization=mean_odds",
      "inference.n_steps=50",
      "--n-steps",
      "7",
      "--out",
      join(dir, "sweep"),
    ]);
    const p = params(r.out);
    expect(p.modelType).toBe("nbdm");
    expect(p.options.parameterization).toBe("mean_odds");
    expect(p.lossHistory.length).toBe(7);
    const w = Object.entries(p.params).find(([k]) => k.endsWith("_W"));
    expect(w?.[1].shape).toEqual([G, 2]);
    // a JSON config of camelCase fit() options (the format before sections) still works
    const json = join(dir, "old.json");
    writeFileSync(json, JSON.stringify({ model: "nbdm", nSteps: 4, learningRate: 0.01 }));
    const old = params((await fitOk(["--config", json, "--out", join(dir, "old")])).out);
    expect(old.modelType).toBe("nbdm");
    expect(old.lossHistory.length).toBe(4);
    // errors name the key
    const bad = await cli(["fit", tenx, "guide.rnak=2"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown config key guide\.rnak/);
    const badValue = await cli(["fit", tenx, "inference.n_steps=-3"]);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(/override inference\.n_steps must be a positive integer/);
  }, 180_000);
});

describe("scribe fit: model, guide and inference flags", () => {
  it("--zero-inflation and the data filters --filter-obs, --min-genes, --hvg", async () => {
    const r = await fitOk([
      "--zero-inflation",
      "--filter-obs",
      "group=A",
      "--min-genes",
      "2",
      "--hvg",
      "6",
      "--n-steps",
      "6",
      "--out",
      join(dir, "zi"),
    ]);
    const p = params(r.out);
    expect(p.modelType).toBe("zinbvcp"); // the default nbvcp, zero-inflated
    expect(Object.keys(p.params).some((k) => k.startsWith("gate"))).toBe(true);
    const res = await readH5ad(join(r.out, "results.h5ad"));
    // odd cells (group A), all with ≥ 2 detected genes (cell 5, with one, is dropped)
    const cells = Array.from({ length: C }, (_, i) => i).filter((i) => i % 2 === 1 && i !== 5);
    expect(res.obs.index).toEqual(cells.map((i) => `c${i}`));
    // the genes: the 6 most variable of those cells' counts (hvg.ts is checked against R separately)
    const { read10x } = await import("@scribe/models/io/node.js");
    const sub = subsetCells(read10x(tenx, { dtype: "float64" }), cells);
    const want = highlyVariableGenes(sub.X, 6).map((j) => sub.var.index[j]!);
    expect(res.var.index).toEqual(want);
    const uns = res.uns.scribe as Record<string, unknown>;
    expect(uns.preprocessing).toEqual([
      "filter_obs group=A: 40 → 20 cells",
      "min_genes 2: 20 → 19 cells",
      "hvg 6 (Seurat v3): 10 → 6 genes",
    ]);
  }, 180_000);

  it("--subset-column/--subset-value, --min-cells, --early-stopping, --variable-capture, --out-root", async () => {
    const root = join(dir, "tree");
    const r = await fitOk([
      "--model",
      "nbdm",
      "--subset-column",
      "group",
      "--subset-value",
      "B",
      "--min-cells",
      "3",
      "--early-stopping",
      "--patience",
      "20",
      "--min-delta",
      "1e9",
      "--min-steps",
      "0",
      "--n-steps",
      "400",
      "--out-root",
      root,
    ]);
    // ROOT/{data}/{model}/{method}/{the command line's settings, sorted}
    expect(r.out).toBe(
      join(
        root,
        "tenx",
        "nbdm",
        "svi",
        "early_stopping.enabled=true,early_stopping.min_delta=1000000000,early_stopping.min_steps=0," +
          "early_stopping.patience=20,min_cells=3,n_steps=400,subset_column=group,subset_value=B",
      ),
    );
    expect(r.steps).toBeLessThan(400); // no decrease of 1e9 counts as an improvement: stops after the patience
    const res = await readH5ad(join(r.out, "results.h5ad"));
    expect(obsStrings(res, "group").every((g) => g === "B")).toBe(true);
    expect(res.obs.index.length).toBe(20);
    expect(res.var.index.length).toBe(G - 1); // gene 9 is in 2 of the B cells only
    expect((res.uns.scribe as Record<string, unknown>).early_stopped).toBe(true);
    // --split-by under --out-root: one folder per level inside the run's tree folder
    const split = await cli([
      "fit",
      tenx,
      "--n-samples",
      "2",
      "-q",
      "--model",
      "nbdm",
      "--split-by",
      "group",
      "--n-steps",
      "3",
      "--out-root",
      root,
    ]);
    expect(split.code, split.stderr).toBe(0);
    for (const level of ["A", "B"]) {
      const res = await readH5ad(join(root, "tenx", "nbdm", "svi", "n_steps=3", level, "results.h5ad"));
      expect(obsStrings(res, "group").every((g) => g === level)).toBe(true);
    }
    // --variable-capture turns nbdm into nbvcp, and contradicts an explicit --model
    const clash = await cli(["fit", tenx, "--model", "nbdm", "--variable-capture"]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/--model nbdm contradicts --variable-capture=true/);
    const vc = await fitOk([
      "model.type=nbdm",
      "--variable-capture",
      "--n-steps",
      "3",
      "--out",
      join(dir, "vc"),
    ]);
    expect(params(vc.out).modelType).toBe("nbvcp");
  }, 180_000);

  it("--annotation-key: the labels' levels make the mixture (2 components) and a missing column is named", async () => {
    const r = await fitOk([
      "--model",
      "nbdm",
      "--annotation-key",
      "group",
      "--n-steps",
      "5",
      "--out",
      join(dir, "annot"),
    ]);
    const p = params(r.out);
    // no --n-components: the two levels of `group` set K = 2, so r is per component
    expect(p.params.r_loc?.shape).toEqual([2, G]);
    expect(Object.keys(p.params).some((k) => k.startsWith("mixing"))).toBe(true);
    const res = await readH5ad(join(r.out, "results.h5ad"));
    expect(res.obs.columns.scribe_component_prob_k1).toBeDefined();
    const missing = await cli([
      "fit",
      tenx,
      "--model",
      "nbdm",
      "--annotation-key",
      "celltype",
      "--n-steps",
      "2",
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/obs has no column "celltype"/);
  }, 180_000);

  // What the command passes to fit(); the written results of both are checked end to end in
  // cli-mcmc.test.ts and cli-amortized-capture.test.ts.
  it("--inference-method mcmc, vae, laplace and --amortize-capture reach fit()", async () => {
    const mcmc = resolveFitPlan(
      { "inference-method": "mcmc", "mcmc-samples": "40", "mcmc-warmup": "20", "amortize-capture": true },
      [tenx],
    ).fitOptions;
    expect(mcmc).toMatchObject({ inferenceMethod: "mcmc", nSamples: 40, nWarmup: 20, amortizeCapture: true });
    const svi = resolveFitPlan({}, [tenx]).fitOptions;
    expect(svi.inferenceMethod).toBeUndefined();
    expect(svi.nSamples).toBeUndefined(); // MCMC settings stay out of an SVI fit
    // vae: its options reach fit() (the written results are checked in cli-vae.test.ts)
    const vae = resolveFitPlan({ "inference-method": "vae", "latent-dim": "4", "encoder-hidden": "32,16" }, [
      tenx,
    ]).fitOptions as Record<string, unknown>;
    expect(vae).toMatchObject({
      inferenceMethod: "vae",
      latentDim: 4,
      encoder: [32, 16],
      decoder: [64, 128],
    });
    // laplace: the model and rank reach fit() (the written results: laplace-cli.test.ts)
    const laplace = resolveFitPlan({ "inference-method": "laplace", model: "lnm", "latent-dim": "3" }, [tenx])
      .fitOptions as Record<string, unknown>;
    expect(laplace).toMatchObject({ inferenceMethod: "laplace", model: "lnm", rank: 3 });
  });
});
