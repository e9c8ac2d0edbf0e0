/**
 * The VAE for the logistic-normal families (issue 19 item 3): `fit({ model: "pln" | "nbln" |
 * "lnm", inferenceMethod: "vae" })`. Data from a PLN whose latent log rates have a 2-D
 * low-rank structure with two clusters (simulated here, independently of the code under test);
 * the peer is the Laplace-EM fit of the same model to the same data.
 */
import { fromTypedArray, key, type Tensor } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { ScribeVAEResults } from "@scribe/models/vae/vae-results.js";
import { describe, expect, it } from "vitest";
import { adjustedRandIndex, kmeans, rng } from "./vae-helpers.js";

/**
 * PLN counts [C, G]: z_c = (±2, 0) by cluster + N(0, 0.3²·I), x_c = μ + W z_c + √d ε_c with
 * μ_g ~ U(0.5, 2.5), W ~ N(0, 0.5²) [G, 2], d = 0.05, u_cg ~ Poisson(exp(x_cg)).
 */
function simulateTwoClusterPln(C: number, G: number, seed: number) {
  const R = rng(seed);
  const mu = Array.from({ length: G }, () => 0.5 + 2 * R.u());
  const W = Array.from({ length: 2 * G }, () => 0.5 * R.normal());
  const labels = new Int32Array(C);
  const counts = new Float32Array(C * G);
  for (let c = 0; c < C; c++) {
    labels[c] = c % 2;
    const z0 = (c % 2 ? 2 : -2) + 0.3 * R.normal();
    const z1 = 0.3 * R.normal();
    for (let g = 0; g < G; g++) {
      const x = mu[g]! + W[2 * g]! * z0 + W[2 * g + 1]! * z1 + Math.sqrt(0.05) * R.normal();
      counts[c * G + g] = R.poisson(Math.exp(x));
    }
  }
  return { counts: fromTypedArray(counts, [C, G]), labels };
}

async function meanOf(t: Tensor): Promise<number> {
  const v = await t.data();
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

describe("VAE for the logistic-normal families", () => {
  const C = 300;
  const G = 30;
  const data = simulateTwoClusterPln(C, G, 7);

  it("pln: the embedding separates the two clusters; the per-cell ELBO is within 10 % of Laplace-EM's log marginal", async () => {
    const { results } = await fit(data.counts, {
      model: "pln",
      inferenceMethod: "vae",
      latentDim: 2,
      encoder: [32],
      // 300 steps (measured: ARI 1.000, mean per-cell ELBO −76.16 vs Laplace's −70.83, inside
      // the 10 % band of 7.08 nats)
      nSteps: 300,
      batchSize: 100,
      learningRate: 1e-2,
      klWarmupSteps: 100,
      validation: false,
      seed: 3,
    });
    expect(results.modelType).toBe("pln");
    // the clusters sit 4 latent units apart against a within-cluster spread of 0.3 (and 30
    // genes of Poisson noise): an embedding that keeps the structure splits them almost
    // perfectly, so k-means on it must agree with the labels nearly everywhere (ARI ≥ 0.9,
    // the threshold for the NB VAE; chance level is 0)
    const emb = await results.getLatentEmbedding(data.counts).data();
    const ari = adjustedRandIndex(kmeans(emb, C, 2, 2), data.labels);

    // the per-cell ELBO is a lower bound on log p(u_c) (up to Monte Carlo error: 16 draws);
    // Laplace-EM approximates log p(u_c) itself (its last loss is −mean_c of the Laplace log
    // marginals). Same model, same data: the VAE must come within 10 % (about 7 nats per
    // cell here; its gap is the encoder's KL to the posterior plus the decoder noise's Jensen
    // gap) and must not beat it by more than 1 nat (the Laplace approximation's own error).
    const elbo = await meanOf(results.elboByCell(data.counts, key(5), 16));
    const laplace = await fit(data.counts, { model: "pln", inferenceMethod: "laplace", rank: 2, nSteps: 30 });
    const h = laplace.results.lossHistory;
    const laplaceLogMarginal = -h[h.length - 1]!;
    console.log(
      `pln VAE ${C}×${G}: ARI ${ari.toFixed(3)}; mean per-cell ELBO ${elbo.toFixed(2)} vs Laplace-EM log marginal ${laplaceLogMarginal.toFixed(2)}`,
    );
    expect(ari).toBeGreaterThanOrEqual(0.9);
    expect(elbo).toBeLessThan(laplaceLogMarginal + 1);
    expect(elbo).toBeGreaterThan(laplaceLogMarginal - 0.1 * Math.abs(laplaceLogMarginal));

    // the linear decoder is the family's latent Gaussian: μ + W z with W [G, 2]
    const g = results.getLatentGaussian();
    expect(g.mu.shape).toEqual([G]);
    expect(g.W.shape).toEqual([G, 2]);

    // the JSON form rebuilds the same results (same embedding)
    const again = ScribeVAEResults.fromJSON(JSON.parse(JSON.stringify(await results.toJSONAsync())));
    expect(again.modelType).toBe("pln");
    expect(Array.from(await again.getLatentEmbedding(data.counts).data())).toEqual(Array.from(emb));
  }, 240_000);

  it("a model without a VAE decoder is refused, naming the model and the method", async () => {
    await expect(fit(data.counts, { model: "twostate", inferenceMethod: "vae" })).rejects.toThrow(
      /model twostate, inferenceMethod "vae".*no VAE decoder/,
    );
    await expect(
      fit(data.counts, { model: "pln", inferenceMethod: "vae", parameterization: "mean_odds" }),
    ).rejects.toThrow(/model pln.*parameterization/);
  });
});
