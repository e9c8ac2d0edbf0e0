/**
 * Denoising dataset models (`families/nb-datasets.ts`): each cell's parameters are taken at its
 * dataset (and component), then the NB formulas apply — checked against the closed form
 * E[m | u] = (u + r q)/(1 − q), Var = (r + u) q/(1 − q)², q = p(1 − ν) (SCRIBE results), read
 * off the MAP of a short fit; and `sliceDataset` as a results method.
 */
import { key, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { denoiseCountsWithVariance, fit, sliceDataset } from "@scribe/models";
import { describe, expect, it } from "vitest";

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);
const C = 60;
const G = 4;
const D = 2;
const K = 2;

describe("denoising with datasets", () => {
  it("zinbvcp, 2 components × 2 datasets: every cell uses its dataset's (and component's) r, p, gate", async () => {
    const counts = new NegativeBinomialProbs(
      tensor([2, 5, 9, 3]).expand([C, G]),
      tensor(0.5).expand([C, G]),
      false,
    ).sample(key(4));
    const datasetIndices = Array.from({ length: C }, (_, c) => (c < 25 ? 0 : 1));
    const { results } = await fit(counts, {
      model: "zinbvcp",
      unconstrained: true,
      nComponents: K,
      datasetIndices,
      datasetParams: ["r", "p"],
      probDatasetMode: "scalar",
      nSteps: 5,
      seed: 0,
    });
    const map = results.getMap({ counts });
    const assignments = tensor(
      Array.from({ length: C }, (_, c) => (c % 3 === 0 ? 1 : 0)),
      { dtype: "int32" },
    );
    const { denoised, variance } = denoiseCountsWithVariance(results.config, counts, map, { assignments });
    const shapeOf = (t: Tensor) => [...t.shape];
    // dataset parameters r: [K, D, G], p ("scalar" mode): [K, D]; the gate (not a dataset parameter): [K, G]
    expect(shapeOf(map.r!)).toEqual([K, D, G]);
    expect(shapeOf(map.p!)).toEqual([K, D]);
    expect(shapeOf(map.gate!)).toEqual([K, G]);
    const [r, p, gate, nu, u] = [map.r!, map.p!, map.gate!, map.p_capture!, counts].map(arr) as number[][];
    const z = arr(assignments);
    const got = arr(denoised);
    const gotVar = arr(variance);
    for (let c = 0; c < C; c++)
      for (let g = 0; g < G; g++) {
        const k = z[c]!;
        const d = datasetIndices[c]!;
        const rr = r![(k * D + d) * G + g]!;
        const pp = p![k * D + d]!;
        const gg = gate![k * G + g]!;
        const uu = u![c * G + g]!;
        const q = pp * (1 - nu![c]!);
        let mean = (uu + rr * q) / (1 - q);
        let v = ((rr + uu) * q) / (1 - q) ** 2;
        if (uu === 0) {
          // structural zero with weight w: the true count follows the prior NB(r, p)
          const w = gg / (gg + (1 - gg) * ((1 - pp) / (1 - q)) ** rr);
          const gm = (rr * pp) / (1 - pp);
          const gv = (rr * pp) / (1 - pp) ** 2;
          const m0 = mean;
          mean = w * gm + (1 - w) * m0;
          v = w * gv + (1 - w) * v + w * (1 - w) * (gm - m0) ** 2;
        }
        // float32 formulas against float64 ones: 1e-4 relative
        expect(Math.abs(got[c * G + g]! - mean)).toBeLessThan(1e-4 * Math.max(1, mean));
        expect(Math.abs(gotVar[c * G + g]! - v)).toBeLessThan(1e-4 * Math.max(1, v));
      }
    // marginal over components (responsibilities) and the posterior over draws run too
    const marginal = denoiseCountsWithVariance(results.config, counts, map).denoised;
    expect(arr(marginal).every(Number.isFinite)).toBe(true);
    const post = results.denoiseCountsPosterior(counts, { nSamples: 3 });
    expect([...post.denoised.shape]).toEqual([3, C, G]);
    // results.sliceDataset is the function sliceDataset
    for (const d of [0, 1]) {
      const a = results.sliceDataset(d);
      const b = sliceDataset(results, d);
      expect(a.nCells).toBe(d === 0 ? 25 : 35);
      expect(Object.keys(a.params).sort()).toEqual(Object.keys(b.params).sort());
      for (const n of Object.keys(a.params)) expect(arr(a.params[n]!)).toEqual(arr(b.params[n]!));
    }
  }, 120_000);
});
