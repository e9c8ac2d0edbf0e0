/**
 * LNM Laplace fits as logistic-normals for Bayesian DE's parametric method: the change of
 * ALR reference is exact (CLR mean and per-gene variance equal a dense computation from the
 * engine's own ALR moments), and compare() takes two fits made with different references.
 */
import { fromTypedArray } from "@scribe/core";
import { bayesianDe, compare, fit, type LaplaceResults, laplaceLogisticNormal } from "@scribe/models";
import { describe, expect, it } from "vitest";
import { simulateLnm } from "./laplace-helpers.js";
import { rng } from "./vae-helpers.js";

/** CLR mean and covariance (dense, G × G) of the engine's ALR-r moments, padded at r. */
function denseClr(res: LaplaceResults): { mean: number[]; cov: number[] } {
  const G = res.nGenes;
  const k = res.rank;
  const pad = (i: number) => res.latentGenes.indexOf(i); // −1 at the reference
  const mu = Array.from({ length: G }, (_, g) => (pad(g) < 0 ? 0 : res.mu[pad(g)]!));
  const S = new Array<number>(G * G).fill(0);
  for (let g = 0; g < G; g++)
    for (let h = 0; h < G; h++) {
      const a = pad(g);
      const b = pad(h);
      if (a < 0 || b < 0) continue;
      let s = a === b ? res.d[a]! : 0;
      for (let j = 0; j < k; j++) s += res.W[a * k + j]! * res.W[b * k + j]!;
      S[g * G + h] = s;
    }
  const m = mu.reduce((x, y) => x + y, 0) / G;
  // H S H with H = I − 11ᵀ/G
  const rowMean = Array.from(
    { length: G },
    (_, g) => S.slice(g * G, g * G + G).reduce((x, y) => x + y, 0) / G,
  );
  const all = rowMean.reduce((x, y) => x + y, 0) / G;
  const cov = S.map((v, i) => v - rowMean[Math.floor(i / G)]! - rowMean[i % G]! + all);
  return { mean: mu.map((v) => v - m), cov };
}

function handMade(alrReference: number): LaplaceResults {
  const G = 5;
  const k = 2;
  const latentGenes = Int32Array.from(
    Array.from({ length: G }, (_, g) => g).filter((g) => g !== alrReference),
  );
  return {
    model: "lnm",
    inferenceMethod: "laplace",
    nCells: 250,
    nGenes: G,
    latentDim: G - 1,
    rank: k,
    latentGenes,
    alrReference,
    mu: Float64Array.from([0.4, -0.2, 1.1, 0.3]),
    W: Float64Array.from([0.5, -0.1, 0.2, 0.3, -0.4, 0.6, 0.1, 0.2]),
    d: Float64Array.from([0.05, 0.1, 0.07, 0.2]),
    r: null,
    totals: null,
    modes: new Float64Array(0),
    firstEStep: { iterations: new Int32Array(0), converged: 0, rescued: 0, failed: 0 },
    lastEStep: { iterations: new Int32Array(0), converged: 0, rescued: 0, failed: 0 },
    rescuedTotal: 0,
    lossHistory: new Float64Array(0),
    steps: 0,
    varNames: ["a", "b", "c", "d", "e"],
  };
}

describe("laplaceLogisticNormal", () => {
  for (const ref of [1, 4])
    it(`re-expresses ALR(reference ${ref}) exactly: CLR mean and variance equal a dense computation`, () => {
      const res = handMade(ref);
      const dense = denseClr(res);
      const G = res.nGenes;
      for (const spread of ["cells", "mean"] as const) {
        const fitLn = laplaceLogisticNormal(res, { spread });
        const clr = bayesianDe.clrMoments(fitLn);
        const scale = spread === "mean" ? 1 / res.nCells : 1;
        expect(fitLn.genes).toEqual(["a", "b", "c", "d", "e"]);
        expect(fitLn.rank).toBe(ref === G - 1 ? 2 : 3);
        for (let g = 0; g < G; g++) {
          expect(clr.mean[g]!).toBeCloseTo(dense.mean[g]!, 12);
          expect(clr.variance[g]! / scale).toBeCloseTo(dense.cov[g * G + g]!, 12);
        }
      }
    });

  it("refuses non-LNM fits by name", () => {
    expect(() => laplaceLogisticNormal({ ...handMade(4), model: "pln" })).toThrow(/lnm or lnmvcp.*"pln"/);
  });

  it("compare() takes two LNM fits with different ALR references; the shifted genes stand out", async () => {
    const G = 16;
    const C = 200;
    const a = simulateLnm(C, G, 21, 2000);
    // group B: its own W and noise, A's μ with the ALR coordinates of genes 0 and 1 shifted
    // by +1 and −1
    const shift = [1, -1];
    const bSim = simulateLnm(C, G, 22, 2000);
    const n = G - 1;
    const bx = Float64Array.from(
      bSim.x,
      (v, i) => v + (shift[i % n] ?? 0) + (a.mu[i % n]! - bSim.mu[i % n]!),
    );
    // re-draw B's counts from its shifted latent values (multinomial as conditioned Poissons)
    const R = rng(99);
    const bCounts = new Float64Array(C * G);
    for (let c = 0; c < C; c++) {
      const l = [...Array.from({ length: n }, (_, g) => bx[c * n + g]!), 0];
      const m = Math.max(...l);
      const w = l.map((v) => Math.exp(v - m));
      const s = w.reduce((x, y) => x + y, 0);
      for (let g = 0; g < G; g++) bCounts[c * G + g] = R.poisson((2000 * w[g]!) / s);
    }
    const common = {
      model: "lnm",
      inferenceMethod: "laplace",
      rank: 2,
      nSteps: 40,
      learningRate: 0.05,
      dtype: "float64",
    } as const;
    const fa = await fit(fromTypedArray(a.counts, [C, G]), { ...common, alrReference: 3 });
    const fb = await fit(fromTypedArray(bCounts, [C, G]), { ...common, alrReference: 9 });
    const lnA = laplaceLogisticNormal(fa.results);
    const lnB = laplaceLogisticNormal(fb.results);
    const de = await compare(lnA, lnB);
    expect(de.method).toBe("parametric");
    const lvl = de.geneLevel(0);
    if (Array.isArray(lvl)) throw new Error("one τ gives one table");
    // posterior mean Δ = CLR(μ̃_A) − CLR(μ̃_B), each from its own reference (dense, by hand)
    const ca = denseClr(fa.results).mean;
    const cb = denseClr(fb.results).mean;
    for (let g = 0; g < G; g++) expect(lvl.mean[g]!).toBeCloseTo(ca[g]! - cb[g]!, 10);
    const order = Array.from(lvl.mean, (v, g) => [Math.abs(v), g] as const).sort((x, y) => y[0] - x[0]);
    console.log(
      `compare (parametric) on two LNM Laplace fits: Δ gene 0 ${lvl.mean[0]!.toFixed(3)} (lfsr ${lvl.lfsr[0]!.toExponential(1)}), ` +
        `gene 1 ${lvl.mean[1]!.toFixed(3)} (lfsr ${lvl.lfsr[1]!.toExponential(1)}); largest |Δ| elsewhere ${order[2]![0].toFixed(3)}`,
    );
    // B's genes 0 / 1 went up / down, so Δ = A − B is negative / positive (CLR: ≈ ∓1 + 0 ± 1/G)
    expect(lvl.mean[0]!).toBeLessThan(-0.7);
    expect(lvl.mean[1]!).toBeGreaterThan(0.7);
    expect(new Set([order[0]![1], order[1]![1]])).toEqual(new Set([0, 1]));
    expect(lvl.lfsr[0]!).toBeLessThan(1e-6);
    expect(lvl.lfsr[1]!).toBeLessThan(1e-6);
  }, 180_000);
});
