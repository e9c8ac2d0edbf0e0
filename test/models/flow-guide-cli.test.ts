import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { FlowGuideFactor } from "@scribe/models/guides/flow-guide.js";
import { guideDistributions } from "@scribe/models/guides/guide.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { ScribeResults } from "@scribe/models/results/results.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess } from "./cli-in-process.js";
import { rng } from "./vae-helpers.js";

// `scribe fit --guide-flow KIND` (issue 19 item 2): the flag reaches fit(), the fit writes its
// results, and they are the flow guide's: params.json holds the flow's params and rebuilds a
// flow factor for r, and results.h5ad's MAP-free columns (posterior means of r) equal those
// of the same fit run from the API with the same seed (same float32 cpu arithmetic: 1e-6
// relative). A 30 × 6 NB data set (r = 2, mean 3), seeded.

const C = 30;
const G = 6;
let dir: string;
let tenx: string;
let X: Float32Array;

const cli = cliInProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-flow-"));
  const R = rng(11);
  X = Float32Array.from({ length: C * G }, () => R.poisson(R.gamma(2) * 1.5));
  tenx = join(dir, "tenx");
  await write10x(
    tenx,
    createAnnData({
      X: { format: "dense", data: Float64Array.from(X), shape: [C, G] },
      obs: Array.from({ length: C }, (_, i) => `c${i}`),
      var: Array.from({ length: G }, (_, j) => `g${j}`),
    }),
  );
});

describe("scribe fit --guide-flow", () => {
  for (const kind of ["affine_coupling", "iaf"] as const)
    it(`--guide-flow ${kind}: results written, flow factor rebuilt, r means = the API fit's`, async () => {
      const out = join(dir, kind);
      const args = ["--model", "nbdm", "--n-steps", "60", "--learning-rate", "0.02", "--seed", "3"];
      const r = await cli([
        "fit",
        tenx,
        ...args,
        "--guide-flow",
        kind,
        "--n-samples",
        "20",
        "-q",
        "--out",
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(readFileSync(join(out, "params.json"), "utf8"));
      expect(json.options.guideFlow).toBe(kind);
      expect(Object.keys(json.params).some((k) => k.startsWith("r_flow$params."))).toBe(true);
      const loaded = ScribeResults.fromJSON(json);
      const dists = guideDistributions(loaded.config, loaded.params);
      expect(dists.get("r")!.dist).toBeInstanceOf(FlowGuideFactor);
      const ad = await readH5ad(join(out, "results.h5ad"));
      const cliMeans = ad.var.columns.scribe_r_mean as number[];

      const counts = fromTypedArray(X, [C, G]);
      const api = await fit(counts, {
        model: "nbdm",
        nSteps: 60,
        learningRate: 0.02,
        seed: 3,
        guideFlow: kind,
        parameterization: "canonical",
      });
      const draws = api.results.getPosteriorSamples({ nSamples: 20, seed: 42, counts });
      const want = (await draws.r!.mean(0).data()) as Float32Array;
      for (let g = 0; g < G; g++) expect(Math.abs(cliMeans[g]! - want[g]!) / want[g]!).toBeLessThan(1e-6);
      // the MAP is the image of the base centre: finite and positive
      const map = (await api.results.getMap().r!.data()) as Float32Array;
      expect(Array.from(map).every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    }, 120_000);

  it("--guide-flow with --guide-rank is refused naming both", async () => {
    const r = await cli([
      "fit",
      tenx,
      "--guide-flow",
      "maf",
      "--guide-rank",
      "2",
      "--n-steps",
      "2",
      "-q",
      "--out",
      join(dir, "bad"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/guideFlow and guideRank are exclusive/);
  }, 180_000);
});
