/**
 * Guide quantiles in closed form for the Beta-family factors (issue 16): Beta p, SCRIBE's
 * BetaPrime phi (mean_odds) and the Dirichlet mixing weights' per-coordinate marginals, each on
 * hand-set guide parameters whose quantiles have elementary closed forms:
 * Beta(a, 1): x_q = q^(1/a); Beta(1, b): x_q = 1 − (1 − q)^(1/b); φ = (1 − p)/p with
 * p ~ Beta(α, 1) has P(φ ≤ t) = 1 − (1 + t)^(−α), so φ_q = (1 − q)^(−1/α) − 1; a Dirichlet(α)
 * coordinate is Beta(α_i, α₀ − α_i), and Beta(3, 3) has median ½ by symmetry.
 * Tolerance 1e-6 relative: the quantiles come back as float32 (2⁻²⁴ ≈ 6e-8 relative rounding).
 */
import { type Tensor, tensor } from "@scribe/core";
import { ScribeResults } from "@scribe/models";
import { describe, expect, it } from "vitest";

const arr = (t: Tensor) => Array.from(t.dataSync(), Number);
const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
const Q = [0.025, 0.5, 0.975];
const G = 3;

describe("guide quantiles of Beta-family factors", () => {
  it("Beta p: q^(1/a) for Beta(a, 1) and 1 − (1 − q)^(1/b) for Beta(1, b); LogNormal r still present", async () => {
    // canonical nbdm: r ~ LogNormal per gene, p ~ Beta shared; mixture K = 2 gives p [K].
    const res = new ScribeResults({
      modelType: "nbdm",
      options: { nCells: 4, nGenes: G, nComponents: 2 },
      params: {
        mixing_weights_concentrations: tensor([1, 2]),
        p_alpha: tensor([4, 1]),
        p_beta: tensor([1, 2.5]),
        r_loc: tensor([
          [0, 1, 2],
          [1, 0, 1],
        ]),
        r_scale: tensor([
          [0.1, 0.2, 0.3],
          [0.1, 0.2, 0.3],
        ]),
      },
      lossHistory: new Float64Array(0),
    });
    const qs = await res.quantiles(Q, { source: "guide" });
    expect([...qs.p!.shape]).toEqual([3, 2]);
    expect([...qs.r!.shape]).toEqual([3, 2, G]);
    const p = arr(qs.p!);
    Q.forEach((q, i) => {
      expect(rel(p[i * 2]!, q ** (1 / 4))).toBeLessThan(1e-6);
      expect(rel(p[i * 2 + 1]!, 1 - (1 - q) ** (1 / 2.5))).toBeLessThan(1e-6);
    });
    // Dirichlet(1, 2) mixing weights: coordinate 0 is Beta(1, 2), coordinate 1 is Beta(2, 1).
    const w = arr(qs.mixing_weights!);
    expect([...qs.mixing_weights!.shape]).toEqual([3, 2]);
    Q.forEach((q, i) => {
      expect(rel(w[i * 2]!, 1 - (1 - q) ** (1 / 2))).toBeLessThan(1e-6);
      expect(rel(w[i * 2 + 1]!, q ** (1 / 2))).toBeLessThan(1e-6);
    });
  });

  it("BetaPrime phi (mean_odds): (1 − q)^(−1/α) − 1 when β = 1; Dirichlet(1, 2, 3) coordinate 2 has median ½", async () => {
    const alphas = [0.7, 2, 9];
    const mu = [
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
    ];
    const res = new ScribeResults({
      modelType: "nbdm",
      options: { nCells: 4, nGenes: G, nComponents: 3, parameterization: "mean_odds" },
      params: {
        mixing_weights_concentrations: tensor([1, 2, 3]),
        phi_alpha: tensor(alphas),
        phi_beta: tensor([1, 1, 1]),
        mu_loc: tensor(mu),
        mu_scale: tensor(mu.map((row) => row.map(() => 0.1))),
      },
      lossHistory: new Float64Array(0),
    });
    const qs = await res.quantiles(Q, { source: "guide" });
    expect([...qs.phi!.shape]).toEqual([3, 3]);
    const phi = arr(qs.phi!);
    Q.forEach((q, i) => {
      alphas.forEach((a, k) => {
        expect(rel(phi[i * 3 + k]!, (1 - q) ** (-1 / a) - 1), `phi q=${q} α=${a}`).toBeLessThan(1e-6);
      });
    });
    // the quantiles are increasing in the level (phi increases with 1 − p)
    for (let k = 0; k < 3; k++) expect(phi[k]!).toBeLessThan(phi[3 + k]!);
    const w = arr(qs.mixing_weights!);
    expect(Math.abs(w[3 + 2]! - 0.5)).toBeLessThan(1e-7); // Beta(3, 3) median
    // coordinate 0 is Beta(1, 5)
    Q.forEach((q, i) => {
      expect(rel(w[i * 3]!, 1 - (1 - q) ** (1 / 5))).toBeLessThan(1e-6);
    });
  });
});
