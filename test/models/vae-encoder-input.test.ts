/**
 * The encoder's input computed once per fit (issue 19, VAE speed): rows of the precomputed
 * transform equal the transform of the minibatch's counts, checked against a host
 * computation (Math.log1p and per-gene mean / sd by hand), and SVI with the precomputed input
 * follows the same trajectory as SVI transforming each minibatch.
 */
import { fromTypedArray, key } from "@scribe/core";
import { Adam, SVI, TraceMeanFieldELBO } from "@scribe/infer";
import { makeConfig } from "@scribe/models/models/config.js";
import {
  buildVaeGuide,
  buildVaeModel,
  encoderInput,
  geneStats,
  makeVaeSpec,
  resolveVaeOptions,
} from "@scribe/models/vae/index.js";
import { describe, expect, it } from "vitest";
import { simulateLatentNB } from "./vae-helpers.js";

const C = 120;
const G = 20;

function spec(transform: "log1p" | "log1p_standardize", counts: Float32Array) {
  const cfg = makeConfig("nbdm", { nCells: C, nGenes: G });
  const opts = resolveVaeOptions({ latentDim: 2, encoder: [16], decoder: [16], inputTransform: transform });
  return makeVaeSpec(cfg, opts, geneStats(counts, C, G), null);
}

describe("VAE encoder input computed once per fit", () => {
  for (const transform of ["log1p", "log1p_standardize"] as const)
    it(`rows of the precomputed ${transform} input equal the host transform of those cells`, async () => {
      const { counts } = simulateLatentNB(C, G, 5);
      const s = spec(transform, counts);
      const all = encoderInput(s, fromTypedArray(counts, [C, G]));
      const rows = [7, 0, 119, 42];
      const got = (await all
        .index(fromTypedArray(Int32Array.from(rows), [rows.length]))
        .data()) as Float32Array;
      // independent host computation in float64: log1p, then (x − mean_g)/sd_g over the C cells
      const mean = new Float64Array(G);
      const sq = new Float64Array(G);
      for (let c = 0; c < C; c++)
        for (let g = 0; g < G; g++) {
          const v = Math.log1p(counts[c * G + g]!);
          mean[g]! += v / C;
          sq[g]! += (v * v) / C;
        }
      rows.forEach((c, i) => {
        for (let g = 0; g < G; g++) {
          let want = Math.log1p(counts[c * G + g]!);
          if (transform === "log1p_standardize") {
            const sd = Math.sqrt(Math.max(sq[g]! - mean[g]! ** 2, 0));
            want = (want - mean[g]!) / (sd > 1e-6 ? sd : 1);
          }
          // float32 arithmetic on values of order 1–10: a few ulps
          expect(Math.abs(got[i * G + g]! - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
        }
      });
    });

  it("SVI with the precomputed input follows the per-minibatch trajectory", {
    timeout: 120_000,
  }, async () => {
    const { counts } = simulateLatentNB(C, G, 6);
    const s = spec("log1p_standardize", counts);
    const x = fromTypedArray(counts, [C, G]);
    const run = async (pre: boolean) => {
      const guide = buildVaeGuide(s, null, pre ? { counts: x, input: encoderInput(s, x) } : null);
      const svi = new SVI(buildVaeModel(s, null), guide, new Adam(0.01), new TraceMeanFieldELBO());
      const r = await svi.run(key(3), 30, [x, 32], { progressBar: false });
      return Array.from(r.losses);
    };
    const per = await run(false);
    const once = await run(true);
    expect(per.length).toBe(30);
    // the same float32 values enter the encoder, so the losses agree to rounding
    for (let i = 0; i < per.length; i++)
      expect(Math.abs(once[i]! - per[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(per[i]!));
  });
});
