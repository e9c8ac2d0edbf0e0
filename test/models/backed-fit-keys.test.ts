// Backed fits with obs-driven designs: annotationKey (annotation priors of a mixture) and
// datasetKey (one set of per-gene parameters per dataset) read only obs, which a backed file
// holds in memory; the minibatches are the in-memory run's, so params, losses and the labels in
// the results' metadata equal the in-memory fit's exactly (toEqual, no tolerance).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FitOptions, fit } from "@scribe/models";
import { createAnnData, toCsr } from "@scribe/models/io/index.js";
import { writeH5ad } from "@scribe/models/io/node.js";
import { afterAll, describe, expect, it } from "vitest";
import { countsAnnData } from "./backed-fixtures.js";

const C = 96;
const G = 8;
// obs: sample (categorical, 6 levels), cell_type (strings T, B, NK)
const ad = countsAnnData(C, G, 23);
const dir = mkdtempSync(join(tmpdir(), "scribe-backed-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (async () => {
  const path = join(dir, "csr.h5ad");
  await writeH5ad(path, createAnnData({ X: toCsr(ad.X), obs: ad.obs, var: ad.var }));
  return path;
})();

async function paramsOf(r: Awaited<ReturnType<typeof fit>>["results"]) {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(r.params)) out[k] = Array.from((await t.data()) as ArrayLike<number>);
  return out;
}

const base: FitOptions = { model: "nbdm", nSteps: 12, batchSize: 24, seed: 9, learningRate: 0.01 };
const cases: [string, FitOptions, string][] = [
  // a mixture over the labels; its k-means start needs the whole matrix, so none
  ["annotationKey", { annotationKey: "cell_type", initComponents: false }, "componentLabels"],
  ["datasetKey", { datasetKey: "sample", unconstrained: true }, "datasetLevels"],
];

describe("fit --backed with obs-driven designs equals the in-memory fit", () => {
  for (const [name, extra, labelsKey] of cases) {
    it(`${name}: the same params, losses and ${labelsKey}`, { timeout: 60_000 }, async () => {
      const opts = { ...base, ...extra };
      const mem = await fit(ad, opts);
      const got = await fit(await file, { ...opts, backed: true });
      expect(got.steps).toBe(12);
      // the design took effect: per-label components / per-dataset parameters
      const labels = mem.results.meta[labelsKey] as string[];
      expect(labels).toEqual(
        name === "annotationKey" ? ["B", "NK", "T"] : ["s0", "s1", "s2", "s3", "s4", "s5"],
      );
      expect(got.results.meta[labelsKey]).toEqual(labels);
      expect(Array.from(got.results.lossHistory)).toEqual(Array.from(mem.results.lossHistory));
      expect(await paramsOf(got.results)).toEqual(await paramsOf(mem.results));
    });
  }

  it("names an obs column the file does not have", async () => {
    await expect(fit(await file, { ...base, backed: true, datasetKey: "donor" })).rejects.toThrow(
      /obs has no column "donor"/,
    );
    await expect(
      fit(await file, { ...base, backed: true, annotationKey: "donor", initComponents: false }),
    ).rejects.toThrow(/obs has no column "donor"/);
  });
});
