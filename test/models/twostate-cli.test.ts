import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { colSums, createAnnData, selectCols, selectRows } from "@scribe/models/io/index.js";
import { read10x, readH5ad, write10x } from "@scribe/models/io/node.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess } from "./cli-in-process.js";

// `scribe fit --model twostate|twostatevcp --parameterization …` end to end on a subset of the
// bundled PBMC 3k data (examples/data/pbmc3k_sctransform): 40 cells × the 12 most expressed genes.
// In process (the exit status is runCli's; cli-launcher.test.ts covers the real process).

const run = async (args: string[]) => {
  const r = await cliInProcess(["fit", ...args]);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
};

function subset(dir: string): { path: string; genes: string[] } {
  const ad = read10x("examples/data/pbmc3k_sctransform");
  const rows = Array.from({ length: 40 }, (_, i) => i * 7);
  const cellsX = selectRows(ad.X, rows);
  const tot = colSums(cellsX);
  const cols = Array.from(tot.keys())
    .sort((a, b) => tot[b]! - tot[a]!)
    .slice(0, 12)
    .sort((a, b) => a - b);
  const X = selectCols(cellsX, cols);
  const genes = cols.map((g) => ad.var.index[g]!);
  const path = join(dir, "pbmc_subset");
  write10x(path, createAnnData({ X, obs: rows.map((r) => ad.obs.index[r]!), var: genes }));
  return { path, genes };
}

let dir: string;
let path: string;
let genes: string[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scribe-twostate-"));
  ({ path, genes } = subset(dir));
});

describe("scribe fit with the TwoState models", () => {
  it("twostate (ratio) and twostatevcp (fano): exit 0, params.json and results.h5ad with the TwoState columns", async () => {
    const common = [
      "--n-steps",
      "40",
      "--learning-rate",
      "0.05",
      "--n-quad-nodes",
      "32",
      "--n-samples",
      "5",
      "-q",
    ];
    const r1 = await run([
      path,
      "--model",
      "twostate",
      "--parameterization",
      "ratio",
      "--out",
      join(dir, "ts"),
      ...common,
    ]);
    expect(r1.status, r1.stderr).toBe(0);
    const summary = JSON.parse(r1.stdout) as { steps: number; final_loss: number };
    expect(summary.steps).toBe(40);
    expect(Number.isFinite(summary.final_loss)).toBe(true);
    const params = JSON.parse(readFileSync(join(dir, "ts", "params.json"), "utf8"));
    expect(params.modelType).toBe("twostate");
    expect(params.options.parameterization).toBe("ratio");
    expect(params.options.nQuadNodes).toBe(32);
    expect(params.meta.muPriorLoc).toHaveLength(12);
    expect(Object.keys(params.params)).toEqual(
      expect.arrayContaining(["mu_loc", "burst_size_loc", "switching_ratio_loc"]),
    );
    const ad = await readH5ad(join(dir, "ts", "results.h5ad"));
    expect(ad.var.index).toEqual(genes);
    for (const col of [
      "scribe_mu_mean",
      "scribe_burst_size_mean",
      "scribe_switching_ratio_mean",
      "scribe_k_off_mean",
      "scribe_alpha_mean",
      "scribe_beta_mean",
      "scribe_r_hat_mean",
      "scribe_alpha_floor_active_mean",
    ]) {
      const v = ad.var.columns[col] as number[];
      expect(v, col).toHaveLength(12);
      expect(v.every(Number.isFinite), col).toBe(true);
    }
    const ll = ad.obs.columns.scribe_log_likelihood as number[];
    expect(ll).toHaveLength(40);
    expect(ll.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
    const uns = ad.uns.scribe as Record<string, unknown>;
    expect(uns.model).toBe("twostate");
    expect(uns.parameterization).toBe("two_state_ratio");
    expect(Number(uns.n_quad_nodes)).toBe(32);

    const r2 = await run([
      path,
      "--model",
      "twostatevcp",
      "--parameterization",
      "fano",
      "--out",
      join(dir, "vcp"),
      ...common,
    ]);
    expect(r2.status, r2.stderr).toBe(0);
    const ad2 = await readH5ad(join(dir, "vcp", "results.h5ad"));
    expect(ad2.obs.columns.scribe_p_capture_mean as number[]).toHaveLength(40);
    expect(ad2.var.columns.scribe_excess_fano_mean as number[]).toHaveLength(12);
    expect(ad2.var.columns.scribe_concentration_mean as number[]).toHaveLength(12);
  }, 120_000);

  it("usage errors: missing or NB parameterization, --n-quad-nodes on an NB model", async () => {
    const r1 = await run([path, "--model", "twostate", "--out", join(dir, "o1")]);
    expect(r1.status).toBe(2);
    expect(r1.stderr).toMatch(/--model twostate needs --parameterization/);
    const r2 = await run([
      path,
      "--model",
      "twostatevcp",
      "--parameterization",
      "canonical",
      "--out",
      join(dir, "o2"),
    ]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(
      /invalid value "canonical" for --parameterization; expected one of two_state_natural/,
    );
    const r3 = await run([
      path,
      "--model",
      "nbdm",
      "--parameterization",
      "natural",
      "--out",
      join(dir, "o3"),
    ]);
    expect(r3.status).toBe(2);
    const r4 = await run([path, "--model", "nbdm", "--n-quad-nodes", "64", "--out", join(dir, "o4")]);
    expect(r4.status).toBe(2);
    expect(r4.stderr).toMatch(/--n-quad-nodes applies only/);
    for (const o of ["o1", "o2", "o3", "o4"]) expect(existsSync(join(dir, o))).toBe(false);
  }, 60_000);
});
