// Issue 20 item 1: fit(path, { backed: true }) reads each SVI minibatch from the .h5ad file and
// gives the in-memory minibatch run's results exactly (same seed → same minibatch indices, same
// float32 rows, so every param and loss is the same float: compared with toEqual, no tolerance).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fit } from "@scribe/models";
import { openBackedCounts } from "@scribe/models/io/backed-counts-node.js";
import { createAnnData } from "@scribe/models/io/index.js";
import { writeH5ad } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { countsAnnData, writeVariants } from "./backed-fixtures.js";

const C = 240;
const G = 16;
const ad = countsAnnData(C, G, 11);
const dir = mkdtempSync(join(tmpdir(), "scribe-backed-fit-"));
const files = writeVariants(dir, ad);

async function paramsOf(r: Awaited<ReturnType<typeof fit>>["results"]) {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(r.params)) out[k] = Array.from((await t.data()) as ArrayLike<number>);
  return out;
}

describe("fit --backed equals the in-memory minibatch fit", () => {
  for (const model of ["nbdm", "nbvcp"] as const) {
    it(`${model}: dense and CSR files give the in-memory params and losses exactly`, {
      timeout: 120_000,
    }, async () => {
      const opts = { model, nSteps: 25, batchSize: 48, seed: 5, learningRate: 0.01, progressEvery: 10 };
      const mem = await fit(ad, opts);
      const want = await paramsOf(mem.results);
      for (const kind of ["dense", "csr"] as const) {
        const got = await fit((await files)[kind], { ...opts, backed: true });
        expect(got.steps).toBe(25);
        // every step's minibatch was predicted from the run's keys, so the read-ahead worker
        // could fetch it (whether it was up in time is not asserted: backed-readahead.test.ts)
        const reads = got.results.meta.backedReads as { predicted: number; prefetched: number };
        expect(reads.predicted).toBe(25);
        expect(Array.from(got.results.lossHistory)).toEqual(Array.from(mem.results.lossHistory));
        expect(await paramsOf(got.results)).toEqual(want);
        expect(got.results.obsNames).toEqual(ad.obs.index);
        expect(got.results.varNames).toEqual(ad.var.index);
      }
    });
  }

  it("refuses options that need the whole matrix, by name, and files it cannot stream", async () => {
    const f = await files;
    await expect(fit(f.csr, { backed: true, nSteps: 1 })).rejects.toThrow(/no batchSize/);
    await expect(fit(f.csr, { backed: true, batchSize: C, nSteps: 1 })).rejects.toThrow(/batchSize 240/);
    await expect(
      fit(f.csr, { backed: true, batchSize: 8, nSteps: 1, model: "nbdm", nComponents: 2 }),
    ).rejects.toThrow(/k-means start/);
    await expect(
      fit(f.csr, { backed: true, batchSize: 8, nSteps: 1, geneCoverage: 0.9, inferenceMethod: "mcmc" }),
    ).rejects.toThrow(/inferenceMethod mcmc.*geneCoverage/);
    await expect(fit(f.csc, { backed: true, batchSize: 8, nSteps: 1 })).rejects.toThrow(/CSC/);
    await expect(fit(join(dir, "counts.mtx"), { backed: true, batchSize: 8 })).rejects.toThrow(
      /not an \.h5ad file/,
    );
    await expect(fit(ad, { backed: true, batchSize: 8 } as never)).rejects.toThrow(/path of an \.h5ad/);
  });

  it("the streaming pass in blocks gives each cell's library size and names bad counts", async () => {
    const src = await openBackedCounts((await files).csr, { chunkCells: 7 });
    try {
      const lib = Array.from((await src.counts.sum(-1).data()) as Float32Array);
      const want = Array.from({ length: C }, (_, c) =>
        Array.from(ad.X.data.subarray(c * G, (c + 1) * G)).reduce((a, b) => a + b, 0),
      );
      expect(lib).toEqual(want); // integer sums below 2^24: exact in float32
      expect(src.stats.sum).toBe(want.reduce((a, b) => a + b, 0));
      expect(() => src.counts.mean()).toThrow(/counts\.mean, which needs the whole matrix/);
    } finally {
      src.close();
    }
    const bad = Float32Array.from(ad.X.data);
    bad[5 * G + 3] = 2.5;
    const path = join(dir, "bad.h5ad");
    await writeH5ad(
      path,
      createAnnData({ X: { format: "dense", data: bad, shape: [C, G] }, obs: ad.obs, var: ad.var }),
    );
    await expect(openBackedCounts(path, { chunkCells: 4 })).rejects.toThrow(
      /cell 5 \(cell5\), gene 3 \(g3\) has 2\.5/,
    );
  });
});
