/**
 * Denoising under BNB overdispersion (`results/denoise-bnb.ts`): the posterior of the true
 * counts m given the observed u is checked against direct simulation of the model's story —
 * p′ ~ Beta(α̂, κ) (SCRIBE's shapes at the captured p̂ = pν/(1 − p(1 − ν))), m ~ NB(r, p″) with
 * p″ = p′/(ν + p′(1 − ν)), u ~ Binomial(m, ν), a structural zero with probability g — whose
 * marginal of u is the model's BNB(r, α̂, κ) (checked too): E[m | u] and Var[m | u] from the
 * simulated pairs with the same u; and against an independent float64 quadrature.
 */
import { key, random, splitKey, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { denoiseCountsWithVariance, makeConfig } from "@scribe/models";
import { describe, expect, it } from "vitest";

const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);

// r = 3, p = 0.6, ω = 0.5: κ = 2 + (r + 1)/ω = 10, α = p(κ − 1)/(1 − p) = 13.5 (finite 4th
// moment, so the simulated conditional variances are stable); capture ν = 0.3
const R = 3;
const P = 0.6;
const OMEGA = 0.5;
const NU = 0.3;
const N_SIM = 400_000;
const U_VALUES = [0, 1, 2, 4, 7];

/** SCRIBE's shapes at the captured probability (float64, by hand). */
function shapes(): { alpha: number; kappa: number; pHat: number } {
  const pHat = (P * NU) / (1 - P * (1 - NU));
  const kappa = 2 + (R + 1) / OMEGA;
  return { pHat, kappa, alpha: (pHat * (kappa - 1)) / (1 - pHat) };
}

/** Simulated (u, m) pairs: E[m | u], Var[m | u], the number of pairs per u in U_VALUES, and P(u = 0). */
function simulate(
  gate: number,
  seed: number,
): { mean: number[]; variance: number[]; n: number[]; p0: number } {
  const [kp, km, ku, kz] = splitKey(key(seed), 4) as ReturnType<typeof key>[];
  const { alpha, kappa } = shapes();
  const pc = random.beta(kp!, tensor(alpha), tensor(kappa), [N_SIM]);
  const pTrue = pc.div(pc.mul(1 - NU).add(NU));
  const m = new NegativeBinomialProbs(tensor(R).expand([N_SIM]), pTrue, false).sample(km!);
  let u = random.binomial(ku!, m, NU);
  if (gate > 0) u = u.mul(random.bernoulli(kz!, tensor(1 - gate), [N_SIM]).astype(u.dtype));
  const mh = arr(m);
  const uh = arr(u);
  const out = { mean: [] as number[], variance: [] as number[], n: [] as number[], p0: 0 };
  for (const v of U_VALUES) {
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < N_SIM; i++)
      if (uh[i] === v) {
        n++;
        s += mh[i]!;
        s2 += mh[i]! ** 2;
      }
    out.n.push(n);
    out.mean.push(s / n);
    out.variance.push(s2 / n - (s / n) ** 2);
  }
  out.p0 = out.n[0]! / N_SIM;
  return out;
}

/**
 * E[m | u] and Var[m | u] by a float64 midpoint rule over p′ ∈ (0, 1) (200 000 nodes) of
 * Beta(p′; α̂, κ)·NB(u; r, p′) (the unnormalised posterior, not its conjugate form), with
 * E[m | u, p′] = (u + r q″)/(1 − q″), q″ = p″(1 − ν).
 */
function quadrature(u: number): { mean: number; variance: number } {
  const { alpha, kappa } = shapes();
  const n = 200_000;
  let z = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = (i + 0.5) / n;
    const logW =
      (alpha - 1) * Math.log(x) + (kappa - 1) * Math.log1p(-x) + u * Math.log(x) + R * Math.log1p(-x);
    const w = Math.exp(logW);
    const q = (x / (NU + x * (1 - NU))) * (1 - NU);
    const m = (u + R * q) / (1 - q);
    z += w;
    s1 += w * m;
    s2 += w * (((R + u) * q) / (1 - q) ** 2 + m * m);
  }
  return { mean: s1 / z, variance: s2 / z - (s1 / z) ** 2 };
}

/** One draw of an nbvcp / zinbvcp BNB model for cells whose counts are U_VALUES (G = 1). */
function denoise(
  modelType: "nbvcp" | "zinbvcp",
  gate: number,
  method: "mean" | "sample",
  seed = 1,
  reps = 1,
) {
  const C = U_VALUES.length * reps;
  const cfg = makeConfig(modelType, { nCells: C, nGenes: 1, overdispersion: "bnb" });
  const draw: Record<string, Tensor> = {
    p: tensor(P),
    r: tensor([R]),
    p_capture: tensor(Array(C).fill(NU)),
    bnb_concentration: tensor([OMEGA]),
    ...(modelType === "zinbvcp" ? { gate: tensor([gate]) } : {}),
  };
  const counts = tensor(Array.from({ length: C }, (_, c) => U_VALUES[c % U_VALUES.length]!)).reshape([C, 1]);
  return denoiseCountsWithVariance(cfg, counts, draw, { method, seed });
}

describe("BNB denoising agrees with direct simulation", () => {
  for (const [modelType, gate] of [
    ["nbvcp", 0],
    ["zinbvcp", 0.3],
  ] as const)
    it(`${modelType}${gate ? ` (gate ${gate})` : ""}: E[m | u] within 4 standard errors, Var[m | u] within 6 %`, () => {
      const sim = simulate(gate, 5);
      // the story's marginal of u is the model's BNB(r, α̂, κ) (with the gate: g + (1 − g)·P_BNB(0))
      const { alpha, kappa } = shapes();
      let logP0 = 0; // log B(α̂, κ + r) − log B(α̂, κ) = Σ_{i<r} log((κ + i)/(α̂ + κ + i)) for integer r
      for (let i = 0; i < R; i++) logP0 += Math.log((kappa + i) / (alpha + kappa + i));
      const p0 = gate + (1 - gate) * Math.exp(logP0);
      expect(Math.abs(sim.p0 - p0)).toBeLessThan(4 * Math.sqrt((p0 * (1 - p0)) / N_SIM));
      const { denoised, variance } = denoise(modelType, gate, "mean");
      const mean = arr(denoised);
      const v = arr(variance);
      U_VALUES.forEach((u, i) => {
        const se = Math.sqrt(sim.variance[i]! / sim.n[i]!);
        console.log(
          `${modelType} u=${u}: denoised ${mean[i]!.toFixed(4)} vs simulated ${sim.mean[i]!.toFixed(4)} ± ${se.toFixed(4)} (n=${sim.n[i]}); var ${v[i]!.toFixed(3)} vs ${sim.variance[i]!.toFixed(3)}`,
        );
        // the quadrature is accurate to float32 (below); the simulation has its standard error
        expect(Math.abs(mean[i]! - sim.mean[i]!)).toBeLessThan(4 * se);
        expect(Math.abs(v[i]! - sim.variance[i]!)).toBeLessThan(0.06 * sim.variance[i]!);
      });
      // the BNB posterior is wider than the NB one with the same mean (q = p(1 − ν)): (r + u)q/(1 − q)²
      const q = P * (1 - NU);
      U_VALUES.forEach((u, i) => {
        if (u > 0) expect(v[i]!).toBeGreaterThan(((R + u) * q) / (1 - q) ** 2);
      });
    }, 120_000);

  it("without a gate: E[m | u], Var[m | u] equal a float64 midpoint rule over p′ in (0, 1) to 1e-5", () => {
    const { denoised, variance } = denoise("nbvcp", 0, "mean");
    const mean = arr(denoised);
    const v = arr(variance);
    U_VALUES.forEach((u, i) => {
      const ref = quadrature(u);
      expect(Math.abs(mean[i]! - ref.mean)).toBeLessThan(1e-5 * ref.mean);
      expect(Math.abs(v[i]! - ref.variance)).toBeLessThan(1e-5 * ref.variance);
    });
  });

  it("ω → 0 (κ, α ~ 10⁷) gives the NB formulas (u + r q)/(1 − q) in float32, q = p(1 − ν)", () => {
    const C = U_VALUES.length;
    const cfg = makeConfig("nbvcp", { nCells: C, nGenes: 1, overdispersion: "bnb" });
    const draw = {
      p: tensor(P),
      r: tensor([R]),
      p_capture: tensor(Array(C).fill(NU)),
      bnb_concentration: tensor([1e-6]),
    };
    const { denoised, variance } = denoiseCountsWithVariance(cfg, tensor(U_VALUES).reshape([C, 1]), draw);
    const q = P * (1 - NU);
    arr(denoised).forEach((m, i) => {
      const u = U_VALUES[i]!;
      // the BNB posterior is wider by O(ω): within 1e-4 of the NB values
      expect(Math.abs(m - (u + R * q) / (1 - q))).toBeLessThan(1e-4 * m);
      expect(Math.abs(arr(variance)[i]! - ((R + u) * q) / (1 - q) ** 2)).toBeLessThan(
        1e-3 * arr(variance)[i]!,
      );
    });
  });

  it('"sample" (a quadrature node drawn by its weight, then the NB) averages to "mean", within 4.5 standard errors', () => {
    const reps = 400;
    const { denoised: mean, variance } = denoise("zinbvcp", 0.3, "mean");
    const s = arr(denoise("zinbvcp", 0.3, "sample", 9, reps).denoised);
    const m = arr(mean);
    const v = arr(variance);
    U_VALUES.forEach((_, i) => {
      let acc = 0;
      for (let r = 0; r < reps; r++) acc += s[r * U_VALUES.length + i]!;
      const avg = acc / reps;
      expect(Math.abs(avg - m[i]!)).toBeLessThan(4.5 * Math.sqrt(v[i]! / reps) + 0.01 * m[i]!);
    });
  }, 120_000);

  it('"mode" is refused by name; without capture non-zero counts are kept', () => {
    expect(() => denoise("nbvcp", 0, "mode" as "mean")).toThrow(/"mode" is not available with BNB/);
    const cfg = makeConfig("zinb", { nCells: 3, nGenes: 1, overdispersion: "bnb" });
    const draw = { p: tensor(P), r: tensor([R]), gate: tensor([0.2]), bnb_concentration: tensor([OMEGA]) };
    const { denoised } = denoiseCountsWithVariance(cfg, tensor([[0], [3], [9]]), draw);
    const d = arr(denoised);
    expect(d.slice(1)).toEqual([3, 9]);
    // at the zero: w·E[BNB] with w = g/(g + (1 − g)·P_BNB(0)); P_BNB(0) = B(α, κ + r)/B(α, κ)
    const kappa = 2 + (R + 1) / OMEGA;
    const alpha = (P * (kappa - 1)) / (1 - P);
    let logP0 = 0; // log B(α, κ + r) − log B(α, κ) = Σ_{i<r} log((κ + i)/(α + κ + i)) for integer r
    for (let i = 0; i < R; i++) logP0 += Math.log((kappa + i) / (alpha + kappa + i));
    const w = 0.2 / (0.2 + 0.8 * Math.exp(logP0));
    expect(Math.abs(d[0]! - (w * R * P) / (1 - P))).toBeLessThan(1e-5 * d[0]!);
  });
});
