import { concat, key, random, specialScalar, Tensor, tensor } from "@scribe/core";
import { Dirichlet } from "@scribe/distributions";
import { type CellTypeDirichlet, fitDirichletMinka, inverseDigamma, ScribeResults } from "@scribe/models";
import { describe, expect, it, vi } from "vitest";

const { digamma, trigamma } = specialScalar;

/** Known concentrations, one row per "cell": small, unit, large, very unequal and very large. */
const ALPHAS = [
  [0.5, 1, 2],
  [5, 5, 5],
  [50, 20, 1],
  [0.05, 0.3, 2],
  [300, 700, 40],
];

/** Mean log p_k per cell from draws [S, C, K], computed here independently of the fit (with the same ε clamp). */
function meanLogs(x: Tensor, eps = 1e-10): number[][] {
  const [S, C, K] = x.shape as [number, number, number];
  const v = x.dataSync();
  const out = Array.from({ length: C }, () => new Array<number>(K).fill(0));
  for (let s = 0; s < S; s++)
    for (let c = 0; c < C; c++)
      for (let k = 0; k < K; k++) out[c]![k]! += Math.log(Math.max(Number(v[(s * C + c) * K + k]), eps)) / S;
  return out;
}

/** Largest |ψ(α_k) − ψ(α₀) − ℓ_k| over the categories of one cell. */
function likelihoodResidual(alpha: number[], ml: number[]): number {
  const a0 = alpha.reduce((a, b) => a + b, 0);
  return Math.max(...alpha.map((a, k) => Math.abs(digamma(a) - digamma(a0) - ml[k]!)));
}

/** Asymptotic standard deviation of the MLE α̂_k from S draws: sqrt(diag(I⁻¹)/S), I = diag(ψ'(α)) − ψ'(α₀)11ᵀ (Sherman–Morrison). */
function mleSd(alpha: number[], S: number): number[] {
  const a0 = alpha.reduce((a, b) => a + b, 0);
  const d = alpha.map((a) => trigamma(a));
  const c = trigamma(a0);
  const sInv = d.reduce((s, x) => s + 1 / x, 0);
  return d.map((dk) => Math.sqrt((1 / dk + c / (dk * dk * (1 - c * sInv))) / S));
}

function rows(t: Tensor): number[][] {
  const [C, K] = t.shape as [number, number];
  const v = Array.from(t.dataSync(), Number);
  return Array.from({ length: C }, (_, c) => v.slice(c * K, (c + 1) * K));
}

describe("inverse digamma", () => {
  it("inverts ψ to 1e-12 relative from 1e-3 to 1e8", () => {
    for (const x of [1e-3, 0.02, 0.3, 1, 1.4616321449683622, 2.5, 17, 800, 1e5, 1e8]) {
      expect(Math.abs(inverseDigamma(digamma(x)) - x) / x).toBeLessThan(1e-12);
    }
    expect(inverseDigamma(Number.NEGATIVE_INFINITY)).toBe(0);
  });
});

describe("Minka Dirichlet fit", () => {
  const S = 4000;
  const alpha = tensor(ALPHAS, { dtype: "float64" });
  const draws = random.dirichlet(key(11), alpha, [S, ALPHAS.length], { dtype: "float64" }); // [S, C, K]

  it("recovers known concentrations within 4 asymptotic standard deviations (S = 4000 draws per cell)", () => {
    // float64 draws reach 1e-98 for α = 0.05; the default clamp at 1e-10 would bias that cell
    // (α̂ = 0.075 instead of 0.05), so the recovery check clamps at 1e-300 only
    const fit = fitDirichletMinka(draws, { epsilon: 1e-300 });
    expect(fit.concentration.shape).toEqual([5, 3]);
    expect(fit.converged.every(Boolean)).toBe(true);
    const got = rows(fit.concentration);
    let worst = 0;
    ALPHAS.forEach((a, c) => {
      const sd = mleSd(a, S);
      a.forEach((ak, k) => {
        const z = Math.abs(got[c]![k]! - ak) / sd[k]!;
        worst = Math.max(worst, z);
        expect(z).toBeLessThan(4);
      });
    });
    console.log(
      `Dirichlet recovery: worst |α̂ − α|/sd = ${worst.toFixed(2)}, iterations ${Array.from(fit.iterations).join(",")}`,
    );
    // the Dirichlet mean is α/α₀
    const mean = rows(fit.mean);
    got.forEach((a, c) => {
      const a0 = a.reduce((x, y) => x + y, 0);
      a.forEach((ak, k) => {
        expect(mean[c]![k]!).toBeCloseTo(ak / a0, 14);
      });
    });
  });

  it("solves the likelihood equations ψ(α_k) − ψ(α₀) = mean log p_k to 1e-8 (every method)", () => {
    const ml = meanLogs(draws);
    for (const method of ["auto", "newton", "fixed-point"] as const) {
      const fit = fitDirichletMinka(draws, { method, maxIter: method === "fixed-point" ? 20000 : 1000 });
      expect(fit.converged.every(Boolean)).toBe(true);
      for (const [c, a] of rows(fit.concentration).entries())
        expect(likelihoodResidual(a, ml[c]!)).toBeLessThan(1e-8);
      for (const [c, m] of rows(fit.meanLog).entries())
        for (const [k, v] of m.entries()) expect(Math.abs(v - ml[c]![k]!)).toBeLessThan(1e-12);
    }
    // the methods agree on the (unique) maximum
    const a = rows(fitDirichletMinka(draws, { method: "newton" }).concentration).flat();
    const b = rows(fitDirichletMinka(draws, { method: "fixed-point", maxIter: 20000 }).concentration).flat();
    a.forEach((x, i) => {
      expect(Math.abs(x - b[i]!) / x).toBeLessThan(1e-6);
    });
  });

  it("is vectorized over cells: each cell's fit equals the fit of its [S, K] slice", () => {
    const all = rows(fitDirichletMinka(draws).concentration);
    for (let c = 0; c < ALPHAS.length; c++) {
      const one = fitDirichletMinka(draws.slice([0, c, 0], [S, c + 1, 3]).reshape([S, 3]));
      expect(one.concentration.shape).toEqual([3]);
      expect(Array.from(one.concentration.dataSync())).toEqual(all[c]);
    }
  });

  it("fits float32 draws from the Dirichlet distribution class, and log-probabilities with logSpace", () => {
    const a = [2, 3, 0.7, 1.2];
    const x = new Dirichlet(tensor(a)).sample(key(5), [3000]); // float32 [S, K]
    const fit = fitDirichletMinka(x);
    const sd = mleSd(a, 3000);
    Array.from(fit.concentration.dataSync()).forEach((v, k) => {
      expect(Math.abs(v - a[k]!) / sd[k]!).toBeLessThan(4);
    });
    const viaLog = fitDirichletMinka(x.log(), { logSpace: true });
    Array.from(viaLog.concentration.dataSync()).forEach((v, k) => {
      expect(v).toBeCloseTo(Number(fit.concentration.dataSync()[k]), 8);
    });
  });

  it("reports non-convergence after maxIter instead of throwing", () => {
    const fit = fitDirichletMinka(draws, { method: "fixed-point", maxIter: 2, tol: 1e-14 });
    expect(fit.converged.some((c) => !c)).toBe(true);
    expect(Math.max(...fit.iterations)).toBe(2);
  });
});

describe("Dirichlet fit: degenerate input", () => {
  it("clamps zeros at epsilon (default 1e-10) before the log", () => {
    // category 0 is exactly 0 in every draw; the rest are Beta(2, 3) splits
    const S = 2000;
    const b = random.beta(key(2), 2, 3, [S], { dtype: "float64" });
    const d = concat([b.mul(0).reshape([S, 1]), b.reshape([S, 1]), b.neg().add(1).reshape([S, 1])], 1);
    const fit = fitDirichletMinka(d);
    const ml = Array.from(fit.meanLog.dataSync(), Number);
    expect(ml[0]).toBeCloseTo(Math.log(1e-10), 12);
    const al = Array.from(fit.concentration.dataSync(), Number);
    expect(fit.converged[0]).toBe(true);
    // a never-used category gets ψ(α_0) = ψ(α₀) + log ε, i.e. α_0 ≈ 1/(−log ε) ≈ 0.04
    expect(al[0]!).toBeGreaterThan(0.03);
    expect(al[0]!).toBeLessThan(0.05);
    expect(al[0]! / (al[0]! + al[1]! + al[2]!)).toBeLessThan(0.01);
    expect(likelihoodResidual(al, ml)).toBeLessThan(1e-8);
    // a different epsilon moves the statistic
    expect(Number(fitDirichletMinka(d, { epsilon: 1e-6 }).meanLog.dataSync()[0])).toBeCloseTo(
      Math.log(1e-6),
      12,
    );
  });

  it("identical draws have no MLE: a clear error, or capped with onDegenerate 'cap'", () => {
    const same = tensor([0.2, 0.3, 0.5]).reshape([1, 1, 3]).expand([10, 2, 3]);
    expect(() => fitDirichletMinka(same)).toThrow(/all 10 draws of cell 0 are identical.*onDegenerate/);
    const capped = fitDirichletMinka(same, { onDegenerate: "cap", degeneratePrecision: 1e4 });
    expect(capped.degenerate).toEqual([true, true]);
    expect(capped.converged).toEqual([false, false]);
    Array.from(capped.concentration.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo([2000, 3000, 5000][i % 3]!, 2);
    });
  });

  it("rejects malformed draws with clear errors", () => {
    expect(() => fitDirichletMinka(tensor([[0.5, 0.5]]))).toThrow(/at least 2 draws/);
    expect(() => fitDirichletMinka(tensor([[1], [1]]))).toThrow(/at least 2 categories/);
    expect(() => fitDirichletMinka(tensor([0.5, 0.5]))).toThrow(/\[S, K\] or \[S, C, K\]/);
    expect(() =>
      fitDirichletMinka(
        tensor([
          [0.5, 0.5],
          [Number.NaN, 1],
        ]),
      ),
    ).toThrow(/non-finite value NaN at draw 1, category 0/);
    expect(() =>
      fitDirichletMinka(
        tensor([
          [0.5, 0.5],
          [-0.1, 1.1],
        ]),
      ),
    ).toThrow(/negative probability/);
    expect(() =>
      fitDirichletMinka(
        tensor([
          [0.5, 0.5],
          [0.3, 0.3],
        ]),
      ),
    ).toThrow(/does not lie on the simplex/);
    expect(() =>
      fitDirichletMinka(
        tensor([
          [0.5, 0.5],
          [0.4, 0.6],
        ]),
        { tol: 0 },
      ),
    ).toThrow(/tol must be positive/);
  });
});

describe("cellTypeProbabilities(fitDistribution: true)", () => {
  it("fits a Dirichlet per cell to the per-draw assignment probabilities (hand-built NBDM mixture draws)", async () => {
    // two components that differ mildly, so the assignment probabilities vary between draws
    const C = 6;
    const G = 4;
    const S = 300;
    const counts = random.poisson(key(8), tensor([3, 5, 2, 4]).reshape([1, G]).expand([C, G]), [C, G]);
    const [k1, k2] = [key(21), key(22)];
    const rBase = tensor([
      [2, 3, 1.5, 2.5],
      [2.6, 2.2, 2, 3],
    ]).reshape([1, 2, G]);
    const r = rBase.mul(random.uniform(k1, [S, 2, G], 0.8, 1.25));
    const p = random.uniform(k2, [S], 0.5, 0.7);
    const mixing_weights = random.dirichlet(key(23), tensor([20, 20]), [S]);
    const results = new ScribeResults({
      modelType: "nbdm",
      options: { nCells: C, nGenes: G, nComponents: 2 },
      params: {},
      lossHistory: new Float64Array(0),
      inferenceMethod: "mcmc",
      mcmcSamples: { r, p, mixing_weights },
    });
    // Issue 12: the fit reads its draws with the one `await` (so it runs on WebGPU): here every
    // synchronous reader of a tensor throws while it runs (the no-sync-read harness's check).
    const syncReads: string[] = [];
    for (const name of ["dataSync", "item", "toArray"] as const)
      vi.spyOn(Tensor.prototype, name).mockImplementation(function (this: Tensor) {
        syncReads.push(`${name}() on [${this.shape}]`);
        throw new Error(`synchronous ${name}() in cellTypeProbabilities`);
      });
    let out: CellTypeDirichlet;
    try {
      out = await results.cellTypeProbabilities(counts, { fitDistribution: true });
    } finally {
      vi.restoreAllMocks();
    }
    expect(syncReads).toEqual([]);
    expect(out.concentration.shape).toEqual([C, 2]);
    expect(out.meanProbabilities.shape).toEqual([C, 2]);
    expect(out.sampleProbabilities.shape).toEqual([S, C, 2]);
    expect(out.converged.every(Boolean)).toBe(true);
    // the fit solves the likelihood equations for the returned per-draw probabilities
    const ml = meanLogs(out.sampleProbabilities);
    for (const [c, a] of rows(out.concentration).entries())
      expect(likelihoodResidual(a, ml[c]!)).toBeLessThan(1e-8);
    // the Dirichlet mean is close to the average probability (both summarize the same draws)
    const avg = rows(results.cellTypeProbabilities(counts));
    for (const [c, m] of rows(out.meanProbabilities).entries())
      for (const [k, v] of m.entries()) expect(Math.abs(v - avg[c]![k]!)).toBeLessThan(0.05);
    // plain call is unchanged: the average [C, K]
    expect(results.cellTypeProbabilities(counts).shape).toEqual([C, 2]);
  });
});
