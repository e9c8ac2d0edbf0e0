/**
 * lnmvcp's totals with per-cell capture (issue 19, `laplace/totals.ts`; SCRIBE `lnmvcp`: u_T,c ~
 * NB(r_T, p̂_c), p̂_c = p ν_c / (1 − p (1 − ν_c)), flat capture prior Beta(1, 1)).
 * - The per-cell marginal against a closed form derived independently of the code's
 *   change of variables: NB(r, p̂(ν)) is NB(r, p) thinned by Binomial(ν) (SCRIBE nbvcp), and
 *   ∫₀¹ Binomial(u | m, ν) dν = 1/(m + 1), so P(u) = Σ_{m ≥ u} NB(m | r, p)/(m + 1); likewise
 *   ∫₀¹ ν Binomial(u | m, ν) dν = (u + 1)/((m + 1)(m + 2)) gives E[ν | u].
 * - Recovery of r_T, p and the captures on totals simulated by that thinning.
 * - fit(…, { model: "lnmvcp", inferenceMethod: "laplace" }) returns that totals model.
 */
import { fromTypedArray, specialScalar } from "@scribe/core";
import { fit } from "@scribe/models";
import { fitCapturedTotals, fitTotals, logCapturedTotal } from "@scribe/models/laplace/totals.js";
import { describe, expect, it } from "vitest";
import { simulateLnm } from "./laplace-helpers.js";
import { rng } from "./vae-helpers.js";

const lg = specialScalar.lgamma;

/** log Σ_{m ≥ u} NB(m | r, p) w(m) for log-weights w, summed until the terms are e⁻⁶⁰ of the largest. */
function thinnedSeries(u: number, r: number, p: number, logW: (m: number) => number): number {
  const terms: number[] = [];
  let top = Number.NEGATIVE_INFINITY;
  for (let m = u; ; m++) {
    const t = lg(m + r) - lg(r) - lg(m + 1) + r * Math.log1p(-p) + m * Math.log(p) + logW(m);
    terms.push(t);
    top = Math.max(top, t);
    if (t < top - 60 && m > u + 10) break;
  }
  return top + Math.log(terms.reduce((s, t) => s + Math.exp(t - top), 0));
}

describe("lnmvcp totals: per-cell capture integrated out", () => {
  it("the per-cell marginal and E[ν | u] equal the binomial-thinning series", () => {
    // interior and edge modes, r < 1 and r > 1, u = 0 and large u
    const cases = [
      [0, 0.5, 0.9],
      [3, 2, 0.7],
      [5, 1, 0.5],
      [120, 3, 0.99],
      [50, 0.3, 0.999],
      [1000, 50, 0.9],
      [2000, 5, 0.995],
    ] as const;
    for (const [u, r, p] of cases) {
      const got = logCapturedTotal(u, r, p);
      const logP = thinnedSeries(u, r, p, (m) => -Math.log(m + 1));
      const logNu = thinnedSeries(u, r, p, (m) => Math.log(u + 1) - Math.log(m + 1) - Math.log(m + 2));
      // the 64-point rule: ≤ 2e-8 in the worst case (r < 1, mode at the edge), ~1e-12 otherwise
      expect(Math.abs(got.logLik - logP), `u ${u}, r ${r}, p ${p}`).toBeLessThan(1e-7);
      expect(Math.abs(got.meanCapture / Math.exp(logNu - logP) - 1), `u ${u}, r ${r}, p ${p}`).toBeLessThan(
        1e-6,
      );
    }
    expect(() => logCapturedTotal(2.5, 1, 0.5)).toThrow(/a total must be a non-negative integer, got 2.5/);
    expect(() => logCapturedTotal(2, 1, 1)).toThrow(/need r > 0 and p in \(0, 1\), got r 1, p 1/);
  });

  it("recovers r_T and p from totals thinned by uniform captures; lnm's shared-p fit does not", () => {
    const R = rng(5);
    const [C, r, p] = [400, 4, 0.995];
    const totals = new Float64Array(C);
    const nu = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const m = R.poisson((R.gamma(r) * p) / (1 - p)); // NB(r, p) as a Gamma–Poisson mixture
      nu[c] = R.u();
      let u = 0;
      for (let i = 0; i < m; i++) if (R.u() < nu[c]!) u++;
      totals[c] = u;
    }
    const { fit: f, meanCapture } = fitCapturedTotals(totals);
    const mean = (r * p) / (1 - p);
    console.log(
      `lnmvcp totals, ${C} cells (r ${r}, mean before capture ${mean}): r̂ ${f.rT.toFixed(3)}, p̂ ${f.p.toFixed(5)}, mean ${f.mean.toFixed(1)}; lnm's r̂ ${fitTotals(totals).rT.toFixed(3)}`,
    );
    // tolerances from 4 seeds of this simulation (r̂ 3.3–4.4, mean 747–852): the sampling
    // spread of 400 cells, whose captures are unknown
    expect(Math.abs(f.rT / r - 1)).toBeLessThan(0.3);
    expect(Math.abs(f.mean / mean - 1)).toBeLessThan(0.12);
    expect(f.capture).toBe("flat");
    // ignoring capture, its spread reads as overdispersion: lnm's r̂ ≈ 1.3
    expect(fitTotals(totals).rT).toBeLessThan(2);
    // each cell's posterior mean capture follows its true capture
    const avg = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
    const [mn, mm] = [avg(nu), avg(meanCapture)];
    let cov = 0;
    let vn = 0;
    let vm = 0;
    for (let c = 0; c < C; c++) {
      cov += (nu[c]! - mn) * (meanCapture[c]! - mm);
      vn += (nu[c]! - mn) ** 2;
      vm += (meanCapture[c]! - mm) ** 2;
    }
    expect(cov / Math.sqrt(vn * vm)).toBeGreaterThan(0.7);
    expect(Math.abs(mm - 0.5)).toBeLessThan(0.05);
  }, 60_000);

  it("fit (laplace) with lnmvcp returns the captured totals model and per-cell captures; lnm keeps the shared p", async () => {
    const [C, G] = [50, 8];
    const sim = simulateLnm(C, G, 32, 500);
    const t = fromTypedArray(Float32Array.from(sim.counts), [C, G]);
    const opts = { inferenceMethod: "laplace", rank: 2, nSteps: 2, learningRate: 0.05, seed: 5 } as const;
    const vcp = await fit(t, { ...opts, model: "lnmvcp" });
    const lnm = await fit(t, { ...opts, model: "lnm" });
    const totals = Float64Array.from({ length: C }, (_, c) =>
      sim.counts.subarray(c * G, (c + 1) * G).reduce((a, b) => a + b, 0),
    );
    expect(vcp.results.totals).toEqual(fitCapturedTotals(totals).fit);
    expect(vcp.results.meanCapture).toHaveLength(C);
    expect(lnm.results.totals).toEqual(fitTotals(totals));
    expect(lnm.results.meanCapture).toBeUndefined();
    // the composition is fitted alike
    expect(Array.from(vcp.results.mu)).toEqual(Array.from(lnm.results.mu));
  }, 60_000);
});
