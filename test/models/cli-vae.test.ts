import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { createAnnData, type DenseMatrix } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { ScribeVAEResults, type VaeResultsJson } from "@scribe/models/vae/vae-results.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess } from "./cli-in-process.js";
import { simulateLatentNB } from "./vae-helpers.js";

// `scribe fit --inference-method vae` end to end (issue 19 item 1): a 60 × 12 data set from the
// 2-D latent NB simulator, written as a 10x folder, fitted by the command; the embedding in
// results.h5ad obsm must equal the one fit() gives from the API with the same seed and options
// (same float32 arithmetic on the same cpu: equal to 1e-6), params.json must reload into the
// same embedding, and the flags must reach the fit (latent size, layer sizes, KL warmup).

const C = 60;
const G = 12;
let dir: string;
let tenx: string;
let X: Float32Array;

const cli = cliInProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-vae-"));
  X = simulateLatentNB(C, G, 7).counts;
  const adata = createAnnData({
    X: { format: "dense", data: Float64Array.from(X), shape: [C, G] },
    obs: Array.from({ length: C }, (_, i) => `cell${i}`),
    var: Array.from({ length: G }, (_, j) => `gene${j}`),
  });
  tenx = join(dir, "tenx");
  await write10x(tenx, adata);
});

const FLAGS = [
  "--inference-method",
  "vae",
  "--model",
  "nbdm",
  "--latent-dim",
  "3",
  "--encoder-hidden",
  "16,8",
  "--decoder-hidden",
  "8",
  "--kl-warmup",
  "20",
  "--n-steps",
  "30",
  "--batch-size",
  "20",
  "--learning-rate",
  "0.01",
  "--seed",
  "5",
  "-q",
];

describe("scribe fit --inference-method vae", () => {
  it("writes the latent embedding (obsm), reconstruction means and a reloadable params.json; embedding = fit()'s", async () => {
    const out = join(dir, "vae");
    const r = await cli(["fit", tenx, ...FLAGS, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout) as { steps: number; embedding: string };
    expect(line.steps).toBe(30);
    const ad = await readH5ad(join(out, "results.h5ad"));
    const emb = ad.obsm?.[line.embedding] as DenseMatrix | undefined;
    expect(emb?.shape).toEqual([C, 3]);
    const scribe = ad.uns.scribe as Record<string, unknown>;
    expect(scribe.inference_method).toBe("vae");
    expect(Array.from(scribe.encoder as ArrayLike<number>)).toEqual([16, 8]);
    expect(Array.from(scribe.decoder as ArrayLike<number>)).toEqual([8]);
    expect(Number(scribe.kl_warmup)).toBe(20);
    expect((scribe.loss_history as ArrayLike<number>).length).toBe(30);

    // the same fit from the API (the 10x reader gives the same counts in the same order)
    const counts = fromTypedArray(X, [C, G]);
    const api = await fit(counts, {
      inferenceMethod: "vae",
      model: "nbdm",
      latentDim: 3,
      encoder: [16, 8],
      decoder: [8],
      klWarmupSteps: 20,
      nSteps: 30,
      batchSize: 20,
      learningRate: 0.01,
      seed: 5,
    });
    const want = (await api.results.getLatentEmbedding(counts).data()) as Float32Array;
    const got = emb!.data;
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i]! - got[i]!));
    expect(maxDiff).toBeLessThan(1e-6);
    // the per-gene reconstruction means, against the API's
    const recon = ad.var.columns.scribe_reconstructed_mean as number[];
    const wantRecon = (await api.results.getReconstructedGeneMeans(counts).data()) as Float32Array;
    for (let g = 0; g < G; g++) expect(recon[g]).toBeCloseTo(wantRecon[g]!, 4);
    // the per-cell log-likelihood column: finite and negative (a pmf ≤ 1 on integer counts)
    const ll = ad.obs.columns.scribe_log_likelihood as number[];
    expect(ll.every((v) => Number.isFinite(v) && v < 0)).toBe(true);

    // params.json reloads into results giving the same embedding
    const json = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as VaeResultsJson;
    expect(json.format).toBe("scribe-vae-results");
    const again = ScribeVAEResults.fromJSON(json);
    const re = (await again.getLatentEmbedding(counts).data()) as Float32Array;
    for (let i = 0; i < want.length; i++) expect(re[i]).toBe(want[i]);
  }, 180_000);

  it("an interrupted run resumes from its checkpoint to the uninterrupted result", async () => {
    const a = join(dir, "whole");
    const b = join(dir, "parts");
    const whole = await cli(["fit", tenx, ...FLAGS, "--out", a]);
    expect(whole.code, whole.stderr).toBe(0);
    // 15 steps (inside the KL warmup) with a checkpoint every 5, then --resume with --n-steps 30
    const flags15 = FLAGS.map((f, i) => (FLAGS[i - 1] === "--n-steps" ? "15" : f));
    const first = await cli(["fit", tenx, ...flags15, "--checkpoint-every", "5", "--out", b]);
    expect(first.code, first.stderr).toBe(0);
    // a finished run removes its checkpoint; run the first half again through fit() with a checkpoint
    // path to leave one behind, as an interrupted command would
    const counts = fromTypedArray(X, [C, G]);
    await fit(counts, {
      inferenceMethod: "vae",
      model: "nbdm",
      latentDim: 3,
      encoder: [16, 8],
      decoder: [8],
      klWarmupSteps: 20,
      nSteps: 15,
      batchSize: 20,
      learningRate: 0.01,
      seed: 5,
      checkpointPath: join(b, "checkpoint.ckpt"),
      checkpointEvery: 5,
      // the command passes the parameterization it resolved
      parameterization: "canonical",
    });
    const second = await cli(["fit", tenx, ...FLAGS, "--resume", "--out", b]);
    expect(second.code, second.stderr).toBe(0);
    const ea = (await readH5ad(join(a, "results.h5ad"))).obsm!.X_scribe_vae!.data;
    const eb = (await readH5ad(join(b, "results.h5ad"))).obsm!.X_scribe_vae!.data;
    let maxDiff = 0;
    for (let i = 0; i < ea.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ea[i]! - eb[i]!));
    expect(maxDiff).toBeLessThan(1e-6);
  }, 240_000);

  it("refuses bad VAE flags and options that do not apply, naming them", async () => {
    const bad = await cli(["fit", tenx, "--inference-method", "vae", "--encoder-hidden", "16,x", "-q"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--encoder-hidden must be positive integers/);
    const rank = await cli(["fit", tenx, ...FLAGS, "--guide-rank", "2", "--out", join(dir, "rank")]);
    expect(rank.code).toBe(1);
    expect(rank.stderr).toMatch(/guideRank does not apply to VAE inference/);
  }, 180_000);
});
