import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import type { VaeResultsJson } from "@scribe/models/vae/vae-results.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { simulatePln } from "./laplace-helpers.js";
import { rng } from "./vae-helpers.js";

// `scribe fit --log-offset log-library` (pln, nbln; laplace or vae), run through main() in this
// process: PLN counts with libraries spread over e² (as laplace-log-offset.test.ts) in a 10x
// folder. The command's Laplace globals equal fit()'s with logOffset "log-library" (to 1e-6:
// params.json holds float64 copies of the same float32 fit) and differ from the fit without
// it; the VAE's params.json keeps the offset's mean total N̄ (the data's, computed here).
// Models and methods without a log rate are refused by name.

const C = 60;
const G = 8;
const sim = simulatePln(C, G, 71);
const R = rng(72);
const counts = Float64Array.from(sim.x, (v, i) => R.poisson(Math.exp(v + (2 * Math.floor(i / G)) / (C - 1))));
let dir: string;
let data: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-log-offset-"));
  data = join(dir, "tenx");
  await write10x(
    data,
    createAnnData({
      X: { format: "dense", data: counts, shape: [C, G] },
      obs: Array.from({ length: C }, (_, i) => `cell${i}`),
      var: Array.from({ length: G }, (_, j) => `gene${j}`),
    }),
  );
});

const common = ["--latent-dim", "2", "--n-steps", "6", "--learning-rate", "0.05", "--seed", "3", "-q"];

/** `scribe fit` of the 10x folder with `--model`, `--inference-method` (unless none), `--log-offset`, then `rest`. */
const fitWithLogOffset = (
  model: string,
  method: string | null,
  offset: string,
  rest: string[],
  out: string,
) =>
  cli([
    "fit",
    data,
    "--model",
    model,
    ...(method ? ["--inference-method", method] : []),
    "--log-offset",
    offset,
    ...rest,
    "--out",
    out,
  ]);

describe("scribe fit --log-offset log-library", () => {
  it("laplace pln: μ, W, d equal fit()'s with logOffset log-library", async () => {
    const out = join(dir, "laplace");
    const r = await fitWithLogOffset("pln", "laplace", "log-library", common, out);
    expect(r.code, r.stderr).toBe(0);
    const params = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as {
      mu: number[];
      W: number[];
      d: number[];
    };
    const t = fromTypedArray(Float32Array.from(counts), [C, G]);
    const opts = {
      model: "pln",
      inferenceMethod: "laplace",
      rank: 2,
      nSteps: 6,
      learningRate: 0.05,
      seed: 3,
    } as const;
    const withOffset = (await fit(t, { ...opts, logOffset: "log-library" })).results;
    const without = (await fit(t, opts)).results;
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
      return m;
    };
    expect(maxDiff(params.mu, withOffset.mu)).toBeLessThan(1e-6);
    expect(maxDiff(params.W, withOffset.W)).toBeLessThan(1e-6);
    expect(maxDiff(params.d, withOffset.d)).toBeLessThan(1e-6);
    // the offset changed the fit: the library spread (o over [0, 2]) moves μ by O(0.1) or more
    expect(maxDiff(params.mu, without.mu)).toBeGreaterThan(0.05);
  }, 60_000);

  it("vae nbln: params.json keeps the offset's mean total", async () => {
    const out = join(dir, "vae");
    const r = await fitWithLogOffset("nbln", "vae", "log-library", ["--validation", "off", ...common], out);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as VaeResultsJson;
    const meanTotal = counts.reduce((a, b) => a + b, 0) / C;
    expect(json.modelType).toBe("nbln");
    expect(Math.abs(json.logNormal!.libraryMean! / meanTotal - 1)).toBeLessThan(1e-12);
  }, 60_000);

  it("is refused for models and methods without a log rate, naming the flag", async () => {
    const lnm = await fitWithLogOffset("lnm", "laplace", "log-library", ["-q"], join(dir, "x1"));
    expect(lnm.code).toBe(2);
    expect(lnm.stderr).toMatch(/--log-offset: a log-rate offset for --model pln or nbln, not lnm/);
    const nb = await fitWithLogOffset("nbdm", null, "log-library", ["-q"], join(dir, "x2"));
    expect(nb.code).toBe(2);
    expect(nb.stderr).toMatch(/--log-offset: a log-rate offset for --model pln or nbln, not nbdm/);
    const rule = await fitWithLogOffset("pln", "laplace", "size", ["-q"], join(dir, "x3"));
    expect(rule.code).toBe(2);
    expect(rule.stderr).toMatch(/log-offset/);
  });
});
