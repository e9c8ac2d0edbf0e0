/**
 * The logistic-normal VAE with the library offset (`logOffset: "log-library"`,
 * `laplace/log-offset.ts`): PLN counts simulated with per-cell libraries over a 7.4-fold range,
 * u_cg ~ Poisson(exp(x_cg + o_c)), o_c spread evenly over [0, 2]. With the offset the decoded
 * latent x̂_c (decoder at the encoder's mean) carries no trace of o_c, and its per-gene means
 * recover the simulated x's up to the shift δ = mean_c(o_c − log(N_c / N̄)) common to all
 * genes (computed here from the simulation). Without the offset the same training
 * gives an ELBO lower by tens of nats per cell: the library's spread (variance 1/3 in every
 * gene at once) has no place in a model whose 2-D latent holds the simulated structure (the
 * measured fit then leaves the library unexplained rather than shifting μ̂: the per-gene means
 * and the tracking of x are printed for both).
 */
import { fromTypedArray, key } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { LOG_D } from "@scribe/models/vae/log-normal-family.js";
import type { ScribeVAEResults } from "@scribe/models/vae/vae-results.js";
import { describe, expect, it } from "vitest";
import { simulatePln } from "./laplace-helpers.js";
import { evenLogOffsets, libraryShift } from "./log-offset-fixture.js";
import { rng } from "./vae-helpers.js";

const sim = simulatePln(200, 20, 31);
const { C, G } = sim;
const offsets = evenLogOffsets(C);
const R = rng(32);
const counts = Float32Array.from(sim.x, (v, i) => R.poisson(Math.exp(v + offsets[Math.floor(i / G)]!)));
const countsT = fromTypedArray(counts, [C, G]);

function fitPln(logOffset?: "log-library") {
  return fit(countsT, {
    model: "pln",
    inferenceMethod: "vae",
    latentDim: 2,
    encoder: [32],
    nSteps: 100,
    batchSize: 100,
    learningRate: 2e-2,
    klWarmupSteps: 50,
    validation: false,
    seed: 5,
    ...(logOffset ? { logOffset } : {}),
  });
}

/** x̂ [C, G] decoded at each cell's encoder mean. */
async function decodedX(res: ScribeVAEResults): Promise<Float32Array> {
  const d = res.decode(countsT);
  if (!("cells" in d)) throw new Error("expected a logistic-normal decode");
  return Float32Array.from(await d.params.x!.data());
}

/** Slope of each cell's mean x̂ (over genes) regressed on o_c. */
function slopeOnOffset(x: Float32Array): number {
  const m = Array.from({ length: C }, (_, c) => {
    let v = 0;
    for (let g = 0; g < G; g++) v += x[c * G + g]! / G;
    return v;
  });
  const mBar = m.reduce((a, b) => a + b, 0) / C;
  const oBar = offsets.reduce((a, b) => a + b, 0) / C;
  let sxy = 0;
  let sxx = 0;
  for (let c = 0; c < C; c++) {
    sxy += (m[c]! - mBar) * (offsets[c]! - oBar);
    sxx += (offsets[c]! - oBar) ** 2;
  }
  return sxy / sxx;
}

describe("PLN VAE with the library offset (200 cells × 20 genes, libraries over e²)", () => {
  it("with log-library x̂ is free of the library and recovers x̄ + δ; without, a far lower ELBO", async () => {
    const delta = libraryShift(counts, offsets, G);
    const withOffset = (await fitPln("log-library")).results;
    const without = (await fitPln()).results;
    const xw = await decodedX(withOffset);
    const xn = await decodedX(without);
    // per-gene mean of x̂ against the truth's own per-gene mean of x (+ δ): the encoder's means
    // average the cells' posteriors, so this is the fit's μ as the data pin it
    const geneError = (x: Float32Array) => {
      let worst = 0;
      let bias = 0;
      for (let g = 0; g < G; g++) {
        let m = 0;
        let t = 0;
        for (let c = 0; c < C; c++) {
          m += x[c * G + g]! / C;
          t += sim.x[c * G + g]! / C;
        }
        worst = Math.max(worst, Math.abs(m - t - delta));
        bias += (m - t - delta) / G;
      }
      return { worst, bias };
    };
    // how well x̂ tracks each cell's simulated x: correlation over cells and genes of the
    // per-gene centred values (1 = the cells' structure recovered exactly)
    const tracking = (x: Float32Array) => {
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let g = 0; g < G; g++) {
        let mx = 0;
        let my = 0;
        for (let c = 0; c < C; c++) {
          mx += x[c * G + g]! / C;
          my += sim.x[c * G + g]! / C;
        }
        for (let c = 0; c < C; c++) {
          const a = x[c * G + g]! - mx;
          const b = sim.x[c * G + g]! - my;
          sxy += a * b;
          sxx += a * a;
          syy += b * b;
        }
      }
      return sxy / Math.sqrt(sxx * syy);
    };
    const { worst, bias } = geneError(xw);
    const off = geneError(xn);
    const sw = slopeOnOffset(xw);
    const sn = slopeOnOffset(xn);
    const meanD = async (res: ScribeVAEResults) => {
      const d = await res.params[LOG_D]!.exp().data();
      return Array.from(d).reduce((a, b) => a + b, 0) / d.length;
    };
    const dw = await meanD(withOffset);
    const dn = await meanD(without);
    const elbo = (await withOffset.elboByCell(countsT, key(3), 4).mean().data())[0]!;
    const elboWithout = (await without.elboByCell(countsT, key(3), 4).mean().data())[0]!;
    console.log(
      `PLN VAE offsets: δ ${delta.toFixed(4)}; with log-library mean(x̂ − x − δ) ${bias.toFixed(4)}, max over genes ${worst.toFixed(4)}, ` +
        `slope of the cells' mean x̂ on o_c ${sw.toFixed(3)}, corr(x̂, x) ${tracking(xw).toFixed(3)}, mean d ${dw.toFixed(4)}; without: mean(x̂ − x − δ) ${off.bias.toFixed(4)}, max ${off.worst.toFixed(4)}, slope ${sn.toFixed(3)}, corr(x̂, x) ${tracking(xn).toFixed(3)}, mean d ${dn.toFixed(4)}; mean per-cell ELBO with ${elbo.toFixed(2)}, without ${elboWithout.toFixed(2)}`,
    );
    expect(Number.isFinite(elbo)).toBe(true);
    // the slope: 0 if the offset explains the library, 1 if x̂ absorbed it (2 with the wrong sign)
    expect(Math.abs(sw)).toBeLessThan(0.15);
    expect(Math.abs(bias)).toBeLessThan(0.1);
    expect(worst).toBeLessThan(0.3);
    expect(tracking(xw)).toBeGreaterThan(0.85);
    // without: an ELBO lower by many nats per cell (measured 34; MC sd of each mean < 0.5)
    expect(elbo - elboWithout).toBeGreaterThan(10);
  }, 60_000);

  it("round-trips the offset through JSON and refuses what it cannot use, by name", async () => {
    const small = fromTypedArray(counts.slice(0, 10 * G), [10, G]);
    const base = { inferenceMethod: "vae", nSteps: 2, latentDim: 2, validation: false } as const;
    const { results } = await fit(small, { ...base, model: "nbln", logOffset: "log-library" });
    const json = await results.toJSONAsync();
    expect(json.logNormal?.libraryMean).toBeCloseTo(
      Array.from(counts.slice(0, 10 * G)).reduce((a, b) => a + b, 0) / 10,
      3,
    );
    const { ScribeVAEResults } = await import("@scribe/models/vae/vae-results.js");
    const again = ScribeVAEResults.fromJSON(JSON.parse(JSON.stringify(json)));
    const a = await results.elboByCell(small, key(1), 2).data();
    const b = await again.elboByCell(small, key(1), 2).data();
    expect(Array.from(b)).toEqual(Array.from(a));
    await expect(fit(small, { ...base, model: "pln", logOffset: [0, 1] })).rejects.toThrow(
      /logOffset takes "log-library".*Laplace-EM's/,
    );
    await expect(fit(small, { ...base, model: "lnm", logOffset: "log-library" })).rejects.toThrow(
      /logOffset is PLN's and NBLN's/,
    );
    await expect(fit(small, { ...base, model: "nbdm", logOffset: "log-library" })).rejects.toThrow(
      /logOffset is PLN's and NBLN's; the NB models/,
    );
  }, 30_000);
});
