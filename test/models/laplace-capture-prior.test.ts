/**
 * lnmvcp's totals under the biology-informed capture prior (issue 19, `laplace/totals.ts`;
 * SCRIBE capture prior: η_c ~ TruncatedNormal(log M₀ − log max(L_c, 1), σ_M, low 0),
 * ν_c = e^(−η_c); SCRIBE `lnmvcp`: u_T,c ~ NB(r_T, p̂_c), p̂_c = p ν_c / (1 − p (1 − ν_c))).
 * - The per-cell marginal and E[ν | u] against a direct integral written independently of the
 *   code: composite Simpson in η on a fixed uniform grid over [0, max(loc, 0) + 15σ] (the
 *   prior's mass beyond is below e⁻¹¹²), the NB pmf evaluated at p̂(ν) in ν-space and the η
 *   density from `@scribe/distributions`' TruncatedNormal in float64.
 * - A tight prior pins each capture at the prior's centre e^(−(log M₀ − log L_c)) = L_c / M₀.
 * - fit(…, { model: "lnmvcp", inferenceMethod: "laplace", priors }) uses it; bad priors are refused.
 */
import { fromTypedArray, specialScalar } from "@scribe/core";
import { TruncatedNormal } from "@scribe/distributions";
import { fit } from "@scribe/models";
import { fitCapturedTotals, logCapturedTotal } from "@scribe/models/laplace/totals.js";
import { describe, expect, it } from "vitest";
import { simulateLnm } from "./laplace-helpers.js";
import { rng } from "./vae-helpers.js";

const lg = specialScalar.lgamma;

/** log ∫ NB(u | r, p̂(e^(−η))) TN(η) dη and E[e^(−η) | u] by Simpson on N intervals. */
async function directIntegral(u: number, r: number, p: number, loc: number, sd: number, N = 100_000) {
  const top = Math.max(loc, 0) + 15 * sd;
  const h = top / N;
  const eta = Float64Array.from({ length: N + 1 }, (_, i) => i * h);
  const f64 = (x: number) => fromTypedArray(Float64Array.of(x), []); // number params would be float32
  const logPrior = await new TruncatedNormal(f64(loc), f64(sd), f64(0), f64(Number.POSITIVE_INFINITY))
    .logProb(fromTypedArray(eta, [N + 1]))
    .data();
  const logTerms = new Float64Array(N + 1);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= N; i++) {
    const nu = Math.exp(-eta[i]!);
    const denom = 1 - p + p * nu;
    const logNb =
      lg(u + r) - lg(r) - lg(u + 1) + u * Math.log((p * nu) / denom) + r * Math.log((1 - p) / denom);
    logTerms[i] = logNb + logPrior[i]!;
    peak = Math.max(peak, logTerms[i]!);
  }
  let sum = 0;
  let sumNu = 0;
  for (let i = 0; i <= N; i++) {
    const w = i === 0 || i === N ? 1 : i % 2 === 1 ? 4 : 2;
    const e = w * Math.exp(logTerms[i]! - peak);
    sum += e;
    sumNu += e * Math.exp(-eta[i]!);
  }
  return { logLik: peak + Math.log((sum * h) / 3), meanCapture: sumNu / sum };
}

describe("lnmvcp totals: the biology-informed capture prior", () => {
  it("the per-cell marginal and E[ν | u] equal a direct float64 integral (1e-7)", async () => {
    // [u, r, p, loc, σ]: human-like prior centres, u = 0, the mode at the edge η = 0 (loc < 0,
    // loc ≈ 0), a prior far tighter and far wider than the likelihood, r < 1 and r > 1
    const cases = [
      [0, 2, 0.99, 3, 0.3],
      [1500, 3, 0.999, Math.log(2e5 / 1500), 0.3],
      [20, 0.5, 0.9, 0.2, 0.3],
      [300, 5, 0.995, -0.5, 0.3],
      [5000, 50, 0.999, 3.7, 0.3],
      [100, 2, 0.99, 2, 1e-3],
      [800, 4, 0.998, 3, 2],
    ] as const;
    for (const [u, r, p, loc, sd] of cases) {
      const got = logCapturedTotal(u, r, p, { loc, scale: sd });
      const want = await directIntegral(u, r, p, loc, sd);
      const what = `u ${u}, r ${r}, p ${p}, loc ${loc}, σ ${sd}`;
      // Simpson's error at this spacing is < 1e-10 for these integrands; the 64-point rule's is the rest
      expect(Math.abs(got.logLik - want.logLik), what).toBeLessThan(1e-7);
      expect(Math.abs(got.meanCapture / want.meanCapture - 1), what).toBeLessThan(1e-7);
    }
    expect(() => logCapturedTotal(3, 1, 0.5, { loc: 1, scale: 0 })).toThrow(
      /the η prior needs a finite loc and scale > 0, got loc 1, scale 0/,
    );
  });

  it("a tight prior pins each capture at its centre e^(−(log M₀ − log L_c)) = L_c / M₀", () => {
    const R = rng(11);
    const [C, r, p, M0] = [60, 4, 0.998, 1e5];
    const totals = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const m = R.poisson((R.gamma(r) * p) / (1 - p)); // NB(r, p) as a Gamma–Poisson mixture
      const nu = 0.02 + 0.2 * R.u();
      let u = 0;
      for (let i = 0; i < m; i++) if (R.u() < nu) u++;
      totals[c] = u;
    }
    totals[0] = 0; // L_c = max(0, 1) = 1: the centre is 1 / M₀
    // σ = 1e-4: the likelihood moves η by ≤ σ²·(u + r) ≈ 1e-5 (f' in totals.ts), so ν stays
    // within ~1e-4 of e^(−loc) (relative; tolerance 1e-3)
    const tight = fitCapturedTotals(totals, { logM0: Math.log(M0), sigmaM: 1e-4 });
    for (let c = 0; c < C; c++)
      expect(Math.abs(tight.meanCapture[c]! / (Math.max(totals[c]!, 1) / M0) - 1), `cell ${c}`).toBeLessThan(
        1e-3,
      );
    expect(tight.fit.capture).toEqual({ logM0: Math.log(M0), sigmaM: 1e-4 });
    // the flat prior's captures are nowhere near (its prior mean is ½)
    const flat = fitCapturedTotals(totals);
    expect(flat.meanCapture.reduce((a, b) => a + b, 0) / C).toBeGreaterThan(0.2);
  }, 30_000);

  it("fit (laplace) takes priors.organism / capture_efficiency for lnmvcp and refuses other priors", async () => {
    const [C, G] = [40, 6];
    const sim = simulateLnm(C, G, 32, 500);
    const t = fromTypedArray(Float32Array.from(sim.counts), [C, G]);
    const opts = { inferenceMethod: "laplace", rank: 2, nSteps: 1, learningRate: 0.05, seed: 5 } as const;
    const totals = Float64Array.from({ length: C }, (_, c) =>
      sim.counts.subarray(c * G, (c + 1) * G).reduce((a, b) => a + b, 0),
    );
    const human = await fit(t, { ...opts, model: "lnmvcp", priors: { organism: "human" } });
    const prior = { logM0: Math.log(200_000), sigmaM: 0.3 };
    expect(human.results.totals!.capture).toEqual(prior);
    expect(Array.from(human.results.meanCapture!)).toEqual(
      Array.from(fitCapturedTotals(totals, prior).meanCapture),
    );
    const tuple = await fit(t, {
      ...opts,
      model: "lnmvcp",
      priors: { capture_efficiency: [Math.log(5e4), 0.5] },
    });
    expect(tuple.results.totals!.capture).toEqual({ logM0: Math.log(5e4), sigmaM: 0.5 });
    await expect(fit(t, { ...opts, model: "lnm", priors: { organism: "human" } })).rejects.toThrow(
      /priors \(organism\) apply only to lnmvcp's capture; lnm takes none/,
    );
    await expect(fit(t, { ...opts, model: "lnmvcp", priors: { p: [1, 1] } })).rejects.toThrow(
      /lnmvcp takes only the capture prior in priors .*; got p/,
    );
    await expect(fit(t, { ...opts, model: "lnmvcp", priors: { organism: "zebrafish" } })).rejects.toThrow(
      /unknown organism "zebrafish"/,
    );
  }, 60_000);
});
