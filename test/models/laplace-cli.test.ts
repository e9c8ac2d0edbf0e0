import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { createAnnData, type DenseMatrix } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { simulateLnm, simulatePln } from "./laplace-helpers.js";

// `scribe fit --inference-method laplace` end to end (issue 19 item 3): small PLN and LNM data
// sets written as 10x folders and fitted by the command; the written globals and modes must
// equal what fit() gives from the API with the same options (float32 on the same cpu: the
// h5ad stores the modes as float32, params.json the globals as float64 → equal to 1e-6), and
// the model / method pairing is checked with clear errors.

const C = 50;
const G = 8;
let dir: string;

async function writeTenx(name: string, counts: Float64Array, nGenes: number): Promise<string> {
  const adata = createAnnData({
    X: { format: "dense", data: counts, shape: [C, nGenes] },
    obs: Array.from({ length: C }, (_, i) => `cell${i}`),
    var: Array.from({ length: nGenes }, (_, j) => `gene${j}`),
  });
  const path = join(dir, name);
  await write10x(path, adata);
  return path;
}

const pln = simulatePln(C, G, 31);
const lnm = simulateLnm(C, G, 32, 500);
let plnDir: string;
let lnmDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-laplace-"));
  plnDir = await writeTenx("pln", pln.counts, G);
  lnmDir = await writeTenx("lnm", lnm.counts, G);
});

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
};

describe("scribe fit --inference-method laplace", () => {
  for (const [model, sim] of [
    ["pln", pln],
    ["lnm", lnm],
  ] as const)
    it(`${model}: writes μ, W, d, the modes (obsm) and the Newton diagnostics; values = fit()'s`, async () => {
      const out = join(dir, `out-${model}`);
      const data = model === "pln" ? plnDir : lnmDir;
      const r = await cli([
        "fit",
        data,
        "--inference-method",
        "laplace",
        "--model",
        model,
        "--latent-dim",
        "2",
        "--n-steps",
        "8",
        "--learning-rate",
        "0.05",
        "--seed",
        "3",
        "-q",
        "--out",
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const line = JSON.parse(r.stdout) as { steps: number; modes: string };
      expect(line.steps).toBe(8);
      const params = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as {
        model: string;
        rank: number;
        mu: number[];
        W: number[];
        d: number[];
        alr_reference: number;
        loss_history: number[];
        newton_last: { converged: number; failed: number };
      };
      const api = await fit(fromTypedArray(Float32Array.from(sim.counts), [C, G]), {
        model,
        inferenceMethod: "laplace",
        rank: 2,
        nSteps: 8,
        learningRate: 0.05,
        seed: 3,
      });
      expect(params.model).toBe(model);
      expect(params.rank).toBe(2);
      expect(params.loss_history.length).toBe(8);
      expect(params.alr_reference).toBe(api.results.alrReference);
      close(params.mu, api.results.mu, 1e-6);
      close(params.W, api.results.W, 1e-6);
      close(params.d, api.results.d, 1e-6);
      expect(params.newton_last.failed).toBe(0);
      const ad = await readH5ad(join(out, "results.h5ad"));
      const modes = ad.obsm?.[line.modes] as DenseMatrix | undefined;
      const dim = model === "pln" ? G : G - 1;
      expect(modes?.shape).toEqual([C, dim]);
      close(modes!.data as ArrayLike<number>, api.results.modes, 1e-5);
      const scribe = ad.uns.scribe as Record<string, unknown>;
      expect(scribe.inference_method).toBe("laplace");
      expect(scribe.model).toBe(model);
      const muVar = ad.var.columns.scribe_laplace_mu as ArrayLike<number>;
      // per gene: μ over the latent genes, 0 at the ALR reference (LNM)
      api.results.latentGenes.forEach((g, i) => {
        expect(Math.abs(muVar[g]! - api.results.mu[i]!)).toBeLessThan(1e-6);
      });
    }, 120_000);

  it("--laplace-init svi runs the SVI→Laplace cascade: μ, W, d equal fit()'s with laplaceInit svi", async () => {
    const out = join(dir, "out-pln-cascade");
    const args = ["--latent-dim", "2", "--n-steps", "4", "--learning-rate", "0.05", "--seed", "5"];
    const r = await cli([
      "fit",
      plnDir,
      "--inference-method",
      "laplace",
      "--model",
      "pln",
      ...args,
      "--laplace-init",
      "svi",
      "--laplace-init-steps",
      "150",
      "-q",
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const params = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as {
      mu: number[];
      W: number[];
    };
    const opts = {
      model: "pln",
      inferenceMethod: "laplace",
      rank: 2,
      nSteps: 4,
      learningRate: 0.05,
      seed: 5,
    } as const;
    const cascade = await fit(fromTypedArray(Float32Array.from(pln.counts), [C, G]), {
      ...opts,
      laplaceInit: "svi",
      laplaceInitSteps: 150,
    });
    const pca = await fit(fromTypedArray(Float32Array.from(pln.counts), [C, G]), opts);
    close(params.mu, cascade.results.mu, 1e-6);
    close(params.W, cascade.results.W, 1e-6);
    // the flag changed the start: μ differs from the PCA-started fit's
    const diff = params.mu.reduce((m, v, i) => Math.max(m, Math.abs(v - pca.results.mu[i]!)), 0);
    expect(diff).toBeGreaterThan(1e-3);
  }, 120_000);

  it("pairs the Laplace models with --inference-method laplace, by name", async () => {
    const noMethod = await cli(["fit", plnDir, "--model", "pln", "-q", "--out", join(dir, "x1")]);
    expect(noMethod.code).not.toBe(0);
    expect(noMethod.stderr).toMatch(/--model pln is fitted by Laplace-EM: add --inference-method laplace/);
    const wrongModel = await cli(["fit", plnDir, "--inference-method", "laplace", "--model", "nbdm", "-q"]);
    expect(wrongModel.code).not.toBe(0);
    expect(wrongModel.stderr).toMatch(/laplace fits pln, nbln, lnm, lnmvcp, not --model nbdm/);
    const noModel = await cli(["fit", plnDir, "--inference-method", "laplace", "-q"]);
    expect(noModel.code).not.toBe(0);
    expect(noModel.stderr).toMatch(/--inference-method laplace needs --model/);
  });
});
