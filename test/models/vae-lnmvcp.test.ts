/**
 * lnmvcp through the VAE (`fit(counts, { model: "lnmvcp", inferenceMethod: "vae" })`): the
 * composition is LNM's (capture enters only the totals' NB, SCRIBE `lnmvcp`), the totals are fitted
 * with each cell's capture integrated out under the biology-informed prior, as Laplace-EM's
 * lnmvcp. Data simulated here from the model: per cell m_c ~ NB(r 20, mean M₀ = 20,000)
 * molecules, capture ν_c ~ U(0.02, 0.1), observed total u_T,c ~ Binomial(m_c, ν_c) (NB thinned
 * by capture, as in SCRIBE nbvcp), composition ρ_c = softmax([y_c, 0]) with y_c from a rank-2 latent
 * Gaussian, counts ~ Multinomial(u_T,c, ρ_c). r_T is not checked: this prior centres each
 * capture on the cell's own total (u_T,c / M₀), which leaves nothing for r_T to explain and
 * sends r̂_T to the Poisson limit (printed).
 */
import { fromTypedArray, key } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import type { TotalsFit } from "@scribe/models/laplace/laplace-results.js";
import { describe, expect, it } from "vitest";
import { rng } from "./vae-helpers.js";

const C = 100;
const G = 10;
const M0 = 20_000;

function simulate() {
  const R = rng(51);
  const n = G - 1;
  const mu = Array.from({ length: n }, () => -0.5 + 1.5 * R.u());
  const W = Array.from({ length: 2 * n }, () => 0.4 * R.normal());
  const counts = new Float32Array(C * G);
  const rho = new Float64Array(C * G);
  const nu = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const z0 = R.normal();
    const z1 = R.normal();
    const logits = [
      ...Array.from(
        { length: n },
        (_, g) => mu[g]! + W[2 * g]! * z0 + W[2 * g + 1]! * z1 + Math.sqrt(0.05) * R.normal(),
      ),
      0,
    ];
    const top = Math.max(...logits);
    const w = logits.map((v) => Math.exp(v - top));
    const s = w.reduce((a, b) => a + b, 0);
    for (let g = 0; g < G; g++) rho[c * G + g] = w[g]! / s;
    const m = R.poisson((R.gamma(20) / 20) * M0);
    nu[c] = 0.02 + 0.08 * R.u();
    // Binomial(m, ν) by its normal limit (m ν ≥ 150 here; the fit reads only the integer total)
    const total = Math.max(0, Math.round(m * nu[c]! + Math.sqrt(m * nu[c]! * (1 - nu[c]!)) * R.normal()));
    // Multinomial(total, ρ) by sequential binomials (conditional shares), each by Bernoulli trials
    let left = total;
    let mass = 1;
    for (let g = 0; g < G - 1; g++) {
      const p = Math.min(1, rho[c * G + g]! / mass);
      let k = 0;
      for (let i = 0; i < left; i++) if (R.u() < p) k++;
      counts[c * G + g] = k;
      left -= k;
      mass -= rho[c * G + g]!;
    }
    counts[c * G + G - 1] = left;
  }
  return { counts, rho, nu };
}

describe("lnmvcp through the VAE (100 cells × 10 genes)", () => {
  it("fits: finite ELBO, the mean composition and each cell's capture track the simulated ones", async () => {
    const sim = simulate();
    const counts = fromTypedArray(sim.counts, [C, G]);
    const { results } = await fit(counts, {
      model: "lnmvcp",
      inferenceMethod: "vae",
      priors: { capture_efficiency: [Math.log(M0), 0.3] },
      latentDim: 2,
      encoder: [32],
      nSteps: 100,
      batchSize: 50,
      learningRate: 2e-2,
      klWarmupSteps: 50,
      validation: false,
      seed: 4,
    });
    expect(results.modelType).toBe("lnmvcp");
    const elbo = (await results.elboByCell(counts, key(2), 4).mean().data())[0]!;
    // mean composition: decoded ρ at each cell's latent mean, averaged over cells, against the
    // simulated ρ's average
    const d = results.decode(counts);
    if (!("cells" in d)) throw new Error("expected a logistic-normal decode");
    const rho = await d.params.rho!.data();
    let worstRho = 0;
    for (let g = 0; g < G; g++) {
      let fitted = 0;
      let truth = 0;
      for (let c = 0; c < C; c++) {
        fitted += rho[c * G + g]! / C;
        truth += sim.rho[c * G + g]! / C;
      }
      worstRho = Math.max(worstRho, Math.abs(fitted - truth) / truth);
    }
    // captures: E[ν_c | u_T,c] against the simulated ν_c
    const nuHat = results.meta.meanCapture as number[];
    const logErr = nuHat.map((v, c) => Math.abs(Math.log(v / sim.nu[c]!))).sort((a, b) => a - b);
    const medianLogErr = logErr[Math.floor(C / 2)]!;
    const corr = (() => {
      const ma = nuHat.reduce((a, b) => a + b, 0) / C;
      const mb = sim.nu.reduce((a, b) => a + b, 0) / C;
      let sab = 0;
      let saa = 0;
      let sbb = 0;
      for (let c = 0; c < C; c++) {
        sab += (nuHat[c]! - ma) * (sim.nu[c]! - mb);
        saa += (nuHat[c]! - ma) ** 2;
        sbb += (sim.nu[c]! - mb) ** 2;
      }
      return sab / Math.sqrt(saa * sbb);
    })();
    const totals = results.meta.totals as TotalsFit;
    console.log(
      `lnmvcp VAE ${C}×${G}: mean per-cell ELBO ${elbo.toFixed(2)}; mean composition worst relative error ${worstRho.toFixed(4)}; ` +
        `capture: median |log ν̂/ν| ${medianLogErr.toFixed(3)}, corr ${corr.toFixed(3)}; totals r̂ ${totals.rT.toFixed(2)}, mean before capture ${totals.mean.toFixed(0)} (simulated r 20, mean ${M0})`,
    );
    expect(Number.isFinite(elbo)).toBe(true);
    // ρ̄ from 100 cells of 400–2,000 counts: the simulated mean's own spread is a few % per gene
    expect(worstRho).toBeLessThan(0.1);
    // the prior centres ν_c at u_T,c / M₀ = ν_c m_c / M₀, and m_c / M₀ has sd 1/√20 ≈ 0.22: the
    // captures are off by about that (median |log| ≈ 0.15) and follow ν_c closely
    expect(medianLogErr).toBeLessThan(0.3);
    expect(corr).toBeGreaterThan(0.8);
    expect(totals.capture).not.toBe("flat");
  }, 60_000);
});
