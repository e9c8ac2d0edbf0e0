import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromTypedArray } from "@scribe/core";
import { createAnnData, type DenseMatrix } from "@scribe/models/io/index.js";
import { readH5ad, write10x } from "@scribe/models/io/node.js";
import { ScribeVAEResults, type VaeResultsJson } from "@scribe/models/vae/vae-results.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { simulatePln } from "./laplace-helpers.js";
import { lgamma } from "./twostate-reference.js";

// `scribe fit --model pln --inference-method vae` end to end (issue 19 item 3 on the command
// line): 100 cells × 20 genes from the PLN simulator, written as a 10x folder, fitted for 30
// steps. results.h5ad must hold the embedding (obsm X_scribe_vae) and the per-cell
// log-likelihood (obs), describe the run by its count family (no NB parameterization), and
// params.json must reload into a model whose embedding equals the file's and whose decoded
// rates give the file's log-likelihoods by the Poisson log-pmf in float64. lnmvcp runs through
// the VAE too: params.json carries its captured totals model and each cell's mean capture.

const C = 100;
const G = 20;
let dir: string;
let tenx: string;
let X: Float32Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-vae-ln-"));
  X = Float32Array.from(simulatePln(C, G, 41).counts);
  const adata = createAnnData({
    X: { format: "dense", data: Float64Array.from(X), shape: [C, G] },
    obs: Array.from({ length: C }, (_, i) => `cell${i}`),
    var: Array.from({ length: G }, (_, j) => `gene${j}`),
  });
  tenx = join(dir, "tenx");
  await write10x(tenx, adata);
});

describe("scribe fit --model pln --inference-method vae", () => {
  it("writes the embedding and log-likelihoods; params.json reloads to the same embedding", async () => {
    const out = join(dir, "pln");
    const r = await cli([
      "fit",
      tenx,
      "--model",
      "pln",
      "--inference-method",
      "vae",
      "--latent-dim",
      "2",
      "--n-steps",
      "30",
      "--batch-size",
      "50",
      "--seed",
      "3",
      "-q",
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout) as { steps: number; embedding: string };
    expect(line.steps).toBe(30);
    expect(line.embedding).toBe("X_scribe_vae");

    const ad = await readH5ad(join(out, "results.h5ad"));
    const emb = ad.obsm?.X_scribe_vae as DenseMatrix | undefined;
    expect(emb?.shape).toEqual([C, 2]);
    const scribe = ad.uns.scribe as Record<string, unknown>;
    expect(scribe.model).toBe("pln");
    expect(scribe.inference_method).toBe("vae");
    expect(scribe.family).toBe("poisson");
    expect(Number(scribe.latent_dim)).toBe(2);
    expect(scribe.parameterization).toBeUndefined();
    expect(scribe.unconstrained).toBeUndefined();
    // the command leaves PLN its linear decoder x = μ + W z (the NB VAE's default is [64, 128])
    expect(Array.from(scribe.decoder as ArrayLike<number>)).toEqual([]);

    // params.json → the same model: its embedding of the same counts is the file's
    // (same float32 arithmetic on the same cpu; the file stores float32: equal to 1e-6)
    const json = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as VaeResultsJson;
    const again = ScribeVAEResults.fromJSON(json);
    expect(again.modelType).toBe("pln");
    const counts = fromTypedArray(X, [C, G]);
    const re = (await again.getLatentEmbedding(counts).data()) as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < C * 2; i++) maxDiff = Math.max(maxDiff, Math.abs(re[i]! - emb!.data[i]!));
    expect(maxDiff).toBeLessThan(1e-6);

    // obs log-likelihood = Σ_g [u log λ − λ − log u!] at the reloaded model's decoded log rates
    // x (float64 here; the file's are float32 sums of 20 terms: 1e-4 relative)
    const ll = ad.obs.columns.scribe_log_likelihood as number[];
    expect(ll.length).toBe(C);
    const x = (await again.decode(counts).params.x!.data()) as Float32Array;
    for (let c = 0; c < C; c++) {
      let want = 0;
      for (let g = 0; g < G; g++) {
        const u = X[c * G + g]!;
        const logRate = x[c * G + g]!;
        want += u * logRate - Math.exp(logRate) - lgamma(u + 1);
      }
      expect(Math.abs(ll[c]! - want)).toBeLessThan(1e-4 * Math.abs(want) + 1e-3);
    }
  }, 60_000);

  it("fits lnmvcp with vae: params.json has the captured totals and each cell's mean capture", async () => {
    const out = join(dir, "lnmvcp");
    const r = await cli([
      "fit",
      tenx,
      "--model",
      "lnmvcp",
      "--inference-method",
      "vae",
      "--latent-dim",
      "2",
      "--n-steps",
      "5",
      "-q",
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as VaeResultsJson;
    expect(json.modelType).toBe("lnmvcp");
    expect((json.meta.totals as { capture: string }).capture).toBe("flat");
    const nu = json.meta.meanCapture as number[];
    expect(nu.length).toBe(C);
    expect(nu.every((v) => v > 0 && v < 1)).toBe(true);
    const scribe = (await readH5ad(join(out, "results.h5ad"))).uns.scribe as Record<string, unknown>;
    expect(scribe.family).toBe("multinomial-alr");
  }, 60_000);

  it("refuses --zero-inflation for the pln VAE", async () => {
    const out = join(dir, "plnzi");
    const r = await cli([
      "fit",
      tenx,
      "--model",
      "pln",
      "--inference-method",
      "vae",
      "--zero-inflation",
      "--out",
      out,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--model pln --inference-method vae: --zero-inflation/);
    expect(existsSync(out)).toBe(false);
  });
});
