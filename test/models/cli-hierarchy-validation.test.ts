/**
 * `scribe fit --hierarchy CHILD:PARENT` (issue 16) and `--validation on|off` (issue 19), and
 * lnmvcp's per-cell mean capture in params.json. Each run is checked against its peer: `fit()`
 * from the API with the options the flags stand for, on the same counts (the 10x folder holds
 * the integer counts the API gets; same float32 arithmetic on the same cpu, so the fitted
 * values agree to 1e-6, well below any change the flags make). Usage errors exit with status 2
 * before any data is read and name the flag (or config key) and, for an unknown factor, the
 * factor and the --dataset-key columns. Tiny data and a few steps keep each case short.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray, type Tensor } from "@scribe/core";
import { ScribeResults } from "@scribe/models";
import { resolveFitPlan } from "@scribe/models/cli/fit-plan.js";
import { fit } from "@scribe/models/fit.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { ScribeVAEResults, type VaeResultsJson } from "@scribe/models/vae/vae-results.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { simulateLnm } from "./laplace-helpers.js";

/** LCG in [0, 1) (no host randomness). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** Integer counts [C, G] whose mean varies by gene and by `group(c)`. */
function counts(C: number, G: number, seed: number, group: (c: number) => number): Float32Array {
  const rnd = lcg(seed);
  return Float32Array.from({ length: C * G }, (_, i) => {
    const c = Math.floor(i / G);
    const g = i % G;
    return Math.floor(rnd() * (4 + 3 * g + 4 * group(c)));
  });
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const values = (t: Tensor) => t.dataSync() as ArrayLike<number>;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-hier-val-"));
});

describe("scribe fit --hierarchy", () => {
  // donors d0, d1 in batch b0 and d2, d3 in b1, 6 cells each
  const C = 24;
  const G = 5;
  const donor = Array.from({ length: C }, (_, c) => Math.floor(c / 6));
  const X = counts(C, G, 3, (c) => donor[c]!);
  const adata = createAnnData({
    X: { format: "dense", data: X, shape: [C, G] },
    obs: {
      index: donor.map((_, c) => `c${c}`),
      columns: { batch: donor.map((l) => `b${l >> 1}`), donor: donor.map((l) => `d${l}`) },
    },
    var: Array.from({ length: G }, (_, g) => `g${g}`),
  });
  let data: string;
  beforeAll(() => {
    data = join(dir, "nested");
    write10x(data, adata);
  });
  const MODEL = ["--model", "nbdm", "--parameterization", "mean_odds", "--unconstrained"];
  const RUN = ["--n-steps", "10", "--learning-rate", "0.05", "--seed", "3", "--n-samples", "2", "-q"];

  it("--hierarchy donor:batch fits the nested design, params = fit()'s; a config's {donor: batch} gives the same option", async () => {
    const api = await fit(adata, {
      model: "nbdm",
      parameterization: "mean_odds",
      unconstrained: true,
      datasetKey: "batch,donor",
      hierarchy: { donor: "batch" },
      nSteps: 10,
      learningRate: 0.05,
      seed: 3,
    });
    const viaFlag = join(dir, "hier-flag");
    const r = await cli(
      ["fit", data, ...MODEL, "--dataset-key", "batch,donor", "--hierarchy", "donor:batch"].concat(RUN, [
        "--out",
        viaFlag,
      ]),
    );
    expect(r.code, r.stderr).toBe(0);
    const res = ScribeResults.fromJSON(JSON.parse(readFileSync(join(viaFlag, "params.json"), "utf8")));
    expect(res.options.datasetFactors?.hierarchy).toEqual({ donor: "batch" });
    // nested: the 4 present combinations are the datasets (crossed would be 2 × 4 = 8)
    expect(res.meta.datasetLevels).toEqual(["b0__d0", "b0__d1", "b1__d2", "b1__d3"]);
    expect(Object.keys(res.params).sort()).toEqual(Object.keys(api.results.params).sort());
    for (const [name, t] of Object.entries(api.results.params))
      expect(maxAbsDiff(values(res.params[name]!), values(t)), name).toBeLessThan(1e-6);
    // a config file's mapping gives fit() the same option as the flag (the plan, without a fit)
    const cfg = join(dir, "hier.yaml");
    writeFileSync(cfg, "model:\n  dataset_key: batch,donor\n  hierarchy: {donor: batch}\n");
    const plan = resolveFitPlan({ config: cfg }, [data]);
    expect(plan.fitOptions.hierarchy).toEqual({ donor: "batch" });
    expect(plan.fitOptions.datasetKey).toBe("batch,donor");
  }, 60_000);

  it("usage errors name the flag, an unknown factor and the --dataset-key columns", async () => {
    const run = (extra: string[]) =>
      cli(["fit", data, ...MODEL, ...extra, ...RUN, "--out", join(dir, "never")]);
    const unknown = await run(["--dataset-key", "batch,donor", "--hierarchy", "donr:batch"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /--hierarchy: unknown factor 'donr'; the --dataset-key columns are batch, donor/,
    );
    const single = await run(["--dataset-key", "batch", "--hierarchy", "donor:batch"]);
    expect(single.code).toBe(2);
    expect(single.stderr).toMatch(
      /--hierarchy nests factors of several --dataset-key columns .*got --dataset-key batch/,
    );
    const none = await run(["--hierarchy", "donor:batch"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--hierarchy .*got no --dataset-key/);
    const form = await run(["--dataset-key", "batch,donor", "--hierarchy", "donor"]);
    expect(form.code).toBe(2);
    expect(form.stderr).toMatch(/--hierarchy must be CHILD:PARENT pairs .*got "donor"/);
    const self = await run(["--dataset-key", "batch,donor", "--hierarchy", "donor:donor"]);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/--hierarchy: factor 'donor' is nested in itself/);
    const twice = await run(["--dataset-key", "batch,donor", "--hierarchy", "donor:batch,donor:batch"]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--hierarchy: factor 'donor' is nested twice/);
    // from a key=value override the error names the config key
    const override = await run(["--dataset-key", "batch,donor", "model.hierarchy={donr: batch}"]);
    expect(override.code).toBe(2);
    expect(override.stderr).toMatch(/model\.hierarchy: unknown factor 'donr'/);
  }, 30_000);
});

describe("scribe fit --inference-method vae --validation", () => {
  // 120 cells: the default (validation unset) holds cells out from 100 cells on
  const C = 120;
  const G = 6;
  const X = counts(C, G, 9, (c) => c % 3);
  let data: string;
  beforeAll(() => {
    data = join(dir, "vae");
    write10x(
      data,
      createAnnData({
        X: { format: "dense", data: X, shape: [C, G] },
        obs: Array.from({ length: C }, (_, c) => `c${c}`),
        var: Array.from({ length: G }, (_, g) => `g${g}`),
      }),
    );
  });
  const VAE = ["--inference-method", "vae", "--model", "nbdm", "--latent-dim", "2"].concat(
    ["--encoder-hidden", "8", "--decoder-hidden", "8", "--kl-warmup", "5", "--n-steps", "20"],
    ["--learning-rate", "0.01", "--seed", "5", "-q"],
  );
  const apiEmbedding = async (validation: boolean) => {
    const x = fromTypedArray(X, [C, G]);
    const { results } = await fit(x, {
      inferenceMethod: "vae",
      model: "nbdm",
      latentDim: 2,
      encoder: [8],
      decoder: [8],
      klWarmupSteps: 5,
      nSteps: 20,
      learningRate: 0.01,
      seed: 5,
      validation,
    });
    return (await results.getLatentEmbedding(x).data()) as Float32Array;
  };
  const cliEmbedding = async (args: string[], out: string) => {
    const r = await cli(["fit", data, ...VAE, ...args, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as VaeResultsJson;
    const x = fromTypedArray(X, [C, G]);
    return (await ScribeVAEResults.fromJSON(json).getLatentEmbedding(x).data()) as Float32Array;
  };

  it("--validation on / off reach fit(): embeddings = fit()'s; a config's settings mapping reaches its options", async () => {
    const on = await cliEmbedding(["--validation", "on"], join(dir, "val-on"));
    const off = await cliEmbedding(["--validation", "off"], join(dir, "val-off"));
    expect(maxAbsDiff(on, await apiEmbedding(true))).toBeLessThan(1e-6);
    expect(maxAbsDiff(off, await apiEmbedding(false))).toBeLessThan(1e-6);
    // the flag changes the fit: held-out cells are left out of training (the runs differ by
    // far more than the 1e-6 agreement above)
    expect(maxAbsDiff(on, off)).toBeGreaterThan(1e-3);
    // a config file's mapping of settings (snake_case) reaches fit() as VaeValidationOptions
    const cfg = join(dir, "val.yaml");
    writeFileSync(cfg, "inference:\n  vae:\n    validation: {fraction: 0.25, every: 10, n_draws: 2}\n");
    const plan = resolveFitPlan({ config: cfg }, [data, "inference.method=vae"]);
    expect((plan.fitOptions as { validation?: unknown }).validation).toEqual({
      fraction: 0.25,
      every: 10,
      nDraws: 2,
    });
  }, 60_000);

  it("usage errors name the flag or config key", async () => {
    const run = (args: string[]) => cli(["fit", data, ...args, "--out", join(dir, "never")]);
    const bad = await run([...VAE, "--validation", "maybe"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--validation must be on or off .*got "maybe"/);
    const svi = await run(["--model", "nbdm", "--n-steps", "5", "-q", "--validation", "on"]);
    expect(svi.code).toBe(2);
    expect(svi.stderr).toMatch(/--validation: held-out early stopping is for --inference-method vae/);
    const both = await run([...VAE, "--validation", "on", "--early-stopping"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--validation and --early-stopping: one early stopping per fit/);
    const key = await run([...VAE, "inference.vae.validation={patience: 5, steps: 3}"]);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/inference\.vae\.validation: unknown setting steps; expected fraction, every/);
  }, 30_000);
});

describe("scribe fit --inference-method laplace --model lnmvcp", () => {
  it("params.json carries each cell's posterior mean capture, = fit()'s meanCapture", async () => {
    const C = 40;
    const G = 6;
    const sim = simulateLnm(C, G, 21, 400);
    const data = join(dir, "lnmvcp");
    write10x(
      data,
      createAnnData({
        X: { format: "dense", data: sim.counts, shape: [C, G] },
        obs: Array.from({ length: C }, (_, c) => `c${c}`),
        var: Array.from({ length: G }, (_, g) => `g${g}`),
      }),
    );
    const out = join(dir, "lnmvcp-out");
    const args = ["--latent-dim", "2", "--n-steps", "3", "--learning-rate", "0.05", "--seed", "3"];
    const r = await cli([
      "fit",
      data,
      "--inference-method",
      "laplace",
      "--model",
      "lnmvcp",
      ...args,
      "-q",
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const params = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as { mean_capture?: number[] };
    const api = await fit(fromTypedArray(Float32Array.from(sim.counts), [C, G]), {
      model: "lnmvcp",
      inferenceMethod: "laplace",
      rank: 2,
      nSteps: 3,
      learningRate: 0.05,
      seed: 3,
    });
    expect(api.results.meanCapture).toBeDefined();
    expect(params.mean_capture?.length).toBe(C);
    // a capture probability: in (0, 1)
    expect(params.mean_capture!.every((v) => v > 0 && v < 1)).toBe(true);
    expect(maxAbsDiff(params.mean_capture!, api.results.meanCapture!)).toBeLessThan(1e-9);
    // the other Laplace models have no capture: no key
    const lnmOut = join(dir, "lnm-out");
    const r2 = await cli([
      "fit",
      data,
      "--inference-method",
      "laplace",
      "--model",
      "lnm",
      ...args,
      "-q",
      "--out",
      lnmOut,
    ]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(lnmOut, "params.json"), "utf8"))).not.toHaveProperty("mean_capture");
  }, 60_000);
});
