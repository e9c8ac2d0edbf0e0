/**
 * lnmvcp's totals fit (`laplace/totals.ts`) at and away from the Poisson limit.
 * - Totals no more dispersed than the capture mixture makes them (u_c ~ Poisson(λ ν_c),
 *   ν_c ~ U(0, 1)): the likelihood rises towards r_T → ∞, and the fit must return the limit.
 *   There, under the flat prior, ∫₀¹ Poisson(u | λν) dν = P(u + 1, λ)/λ (P the regularised
 *   lower incomplete gamma: ∫₀^λ tᵘ e⁻ᵗ dt / u!), and E[ν | u] = (u + 1)/λ · P(u + 2, λ)/P(u + 1, λ):
 *   λ̂ is checked against the argmax of Σ_c log P(u_c + 1, λ)/λ (golden section here) and the
 *   captures against that closed form.
 * - An interior optimum (NB totals thinned by uniform captures): no (r_T, p) nearby is more likely.
 */
import { specialScalar } from "@scribe/core";
import { fitCapturedTotals, logCapturedTotal } from "@scribe/models/laplace/totals.js";
import { describe, expect, it } from "vitest";
import { rng } from "./vae-helpers.js";

/** log ∫₀¹ Poisson(u | λν) dν, the closed form above. */
const logPoissonFlat = (u: number, lambda: number) =>
  Math.log(specialScalar.gammainc(u + 1, lambda)) - Math.log(lambda);

describe("lnmvcp totals: the Poisson limit", () => {
  it("Poisson totals thinned uniformly: r̂_T at the limit, λ̂ and E[ν | u] equal the Poisson closed forms", () => {
    const R = rng(7);
    const C = 150;
    const totals = Float64Array.from({ length: C }, () => R.poisson(500 * R.u()));
    const { fit: f, meanCapture } = fitCapturedTotals(totals);
    // argmax over log λ of the closed-form limit likelihood, golden section to 1e-10
    const limitLogLik = (logLambda: number) =>
      totals.reduce((s, u) => s + logPoissonFlat(u, Math.exp(logLambda)), 0);
    let [a, b] = [Math.log(10), Math.log(1e5)];
    const phi = (Math.sqrt(5) - 1) / 2;
    while (b - a > 1e-10) {
      const x1 = b - phi * (b - a);
      const x2 = a + phi * (b - a);
      if (limitLogLik(x1) > limitLogLik(x2)) b = x2;
      else a = x1;
    }
    const lambda = Math.exp((a + b) / 2);
    console.log(
      `Poisson-limit totals (${C} cells): r̂ ${f.rT.toExponential(2)}, λ̂ ${f.mean.toFixed(4)}; closed form ${lambda.toFixed(4)}`,
    );
    expect(f.rT).toBe(1e12); // the bound the fit reports as the limit (totals.ts)
    // 1e-5: the simplex stops when its spread in −log L is 1e-10·|log L| ≈ 1e-7 nats; with
    // curvature Σ u ≈ 4e4 in log λ that leaves |Δ log λ| ≲ 2e-6 (the limit's own λ/r_T is 5e-10)
    expect(Math.abs(f.mean / lambda - 1)).toBeLessThan(1e-5);
    for (let c = 0; c < C; c++) {
      const u = totals[c]!;
      const want =
        ((u + 1) / f.mean) * (specialScalar.gammainc(u + 2, f.mean) / specialScalar.gammainc(u + 1, f.mean));
      // the 64-node rule against NB(1e12) vs Poisson (λ/r_T ≈ 5e-10): 1e-7 (1e-8 measured), but 1e-6 at u = 0,
      // whose integrand in logit space is Gumbel-shaped (e^(s − λν)) and is resolved to ~6e-7
      expect(Math.abs(meanCapture[c]! / want - 1), `cell ${c}, u ${u}`).toBeLessThan(u === 0 ? 1e-6 : 1e-7);
    }
  });

  it("an interior optimum: no nearby (r_T, λ) is more likely", () => {
    const R = rng(5);
    const [C, r, p] = [200, 4, 0.995];
    const totals = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const m = R.poisson((R.gamma(r) * p) / (1 - p)); // NB(r, p) as a Gamma–Poisson mixture
      const nu = R.u();
      let u = 0;
      for (let i = 0; i < m; i++) if (R.u() < nu) u++;
      totals[c] = u;
    }
    const { fit: f } = fitCapturedTotals(totals);
    expect(f.rT).toBeLessThan(100);
    const logLik = (logR: number, logLambda: number) => {
      const rr = Math.exp(logR);
      const pp = 1 / (1 + Math.exp(logR - logLambda));
      return totals.reduce((s, u) => s + logCapturedTotal(u, rr, pp).logLik, 0);
    };
    const [x0, y0] = [Math.log(f.rT), Math.log(f.mean)];
    const best = logLik(x0, y0);
    // steps of 1e-2 in log r_T, log λ move log L by ≈ ½·curvature·1e-4 ≫ the stopping spread (1e-7 nats)
    for (const [dx, dy] of [
      [1e-2, 0],
      [-1e-2, 0],
      [0, 1e-2],
      [0, -1e-2],
      [1e-2, 1e-2],
      [-1e-2, -1e-2],
    ] as const)
      expect(logLik(x0 + dx, y0 + dy), `step (${dx}, ${dy})`).toBeLessThan(best);
  });
});
