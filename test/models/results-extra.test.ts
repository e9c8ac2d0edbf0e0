/**
 * Result summaries of issue 16 item 4 (SCRIBE results), each against an independent computation:
 * guide quantiles against the LogNormal closed form, sample quantiles against NumPy's linear
 * rule by hand, normalizeCounts against the Dirichlet mean, assignment entropies and empirical
 * mixing weights against responsibilities computed here from the NB pmf, the prior predictive
 * mean against the NB mean of a tight prior, and gene / component slicing against the parent
 * results' values.
 */
import { type Tensor, tensor } from "@scribe/core";
import { type ModelType, ScribeResults, sampleQuantiles } from "@scribe/models";
import { describe, expect, it } from "vitest";

const arr = (t: Tensor) => Array.from(t.dataSync(), Number);

// Standard normal quantiles Φ⁻¹(q) for q = 0.025, 0.5, 0.975 (Abramowitz & Stegun table 26.5;
// 1.959963984540054 to double precision).
const Z = [-1.959963984540054, 0, 1.959963984540054];
const Q = [0.025, 0.5, 0.975];

const C = 12;
const G = 4;
const K = 2;
// Mixture nbdm with a hand-set guide: r_k ~ LogNormal(loc, scale), p_k ~ Beta(a, b).
const R_LOC = [
  [Math.log(2), Math.log(8), Math.log(1), Math.log(4)],
  [Math.log(6), Math.log(1), Math.log(5), Math.log(2)],
];
const R_SCALE = 0.3;
const P_A = [30, 60];
const P_B = [30, 20];

function handResults(modelType: ModelType, scale = R_SCALE): ScribeResults {
  return new ScribeResults({
    modelType,
    options: { nCells: C, nGenes: G, nComponents: K },
    params: {
      mixing_weights_concentrations: tensor([3, 5]),
      p_alpha: tensor(P_A),
      p_beta: tensor(P_B),
      r_loc: tensor(R_LOC),
      r_scale: tensor(R_LOC.map((row) => row.map(() => scale))),
    },
    lossHistory: new Float64Array(0),
  });
}

// Counts with both kinds of cells: low in genes 1, 3 or low in genes 0, 2.
const COUNTS = tensor(
  Array.from({ length: C }, (_, c) => (c % 2 === 0 ? [1, 6, 0, 3] : [5, 0, 4, 1]).map((x) => x + (c % 3))),
);

/** log NB(u; r, p) with SCRIBE's convention (mean r·p/(1−p)), for integer u, in float64. */
function nbLogPmf(u: number, r: number, p: number): number {
  let lg = 0; // log Γ(u + r) − log Γ(r) − log u! = Σ_{i<u} log((r + i)/(i + 1))
  for (let i = 0; i < u; i++) lg += Math.log((r + i) / (i + 1));
  return lg + r * Math.log(1 - p) + u * Math.log(p);
}

/** Responsibilities [C][K] by hand from MAP values r [K][G], p [K], weights π [K]. */
function responsibilities(r: number[][], p: number[], pi: number[]): number[][] {
  const u = arr(COUNTS);
  return Array.from({ length: C }, (_, c) => {
    const l = [0, 1].map(
      (k) => Math.log(pi[k]!) + r[k]!.reduce((a, rg, g) => a + nbLogPmf(u[c * G + g]!, rg, p[k]!), 0),
    );
    const m = Math.max(...l);
    const e = l.map((x) => Math.exp(x - m));
    const s = e[0]! + e[1]!;
    return e.map((x) => x / s);
  });
}

describe("quantiles", () => {
  it("guide marginals: LogNormal r quantiles are exp(loc + scale·Φ⁻¹(q)) (float32, 1e-5 relative)", async () => {
    const res = handResults("nbdm");
    const qs = await res.quantiles(Q, { source: "guide" });
    const r = qs.r!;
    expect([...r.shape]).toEqual([3, K, G]);
    const v = arr(r);
    Q.forEach((_, i) => {
      R_LOC.forEach((row, k) => {
        row.forEach((loc, g) => {
          const want = Math.exp(loc + R_SCALE * Z[i]!);
          expect(Math.abs(v[i * K * G + k * G + g]! - want) / want).toBeLessThan(1e-5);
        });
      });
    });
  });

  it("posterior draws: agree with the guide's closed form within 4 Monte Carlo standard errors", async () => {
    const res = handResults("nbdm");
    const S = 4000;
    const qs = await res.quantiles(Q, { nSamples: S, seed: 3 });
    const v = arr(qs.r!);
    // SE of a sample quantile ≈ √(q(1−q)/S) / f(x_q); for a LogNormal f(x) = φ(z)/(x·σ)
    Q.forEach((q, i) => {
      R_LOC.forEach((row, k) => {
        row.forEach((loc, g) => {
          const x = Math.exp(loc + R_SCALE * Z[i]!);
          const dens = Math.exp(-(Z[i]! ** 2) / 2) / Math.sqrt(2 * Math.PI) / (x * R_SCALE);
          const se = Math.sqrt((q * (1 - q)) / S) / dens;
          expect(Math.abs(v[i * K * G + k * G + g]! - x)).toBeLessThan(4 * se);
        });
      });
    });
    // derived sites are summarized too (mu = r·p/(1−p) is monotone in r for fixed p, not checked here)
    expect([...qs.mu!.shape]).toEqual([3, K, G]);
  }, 180_000);

  it("sampleQuantiles follows NumPy's linear interpolation (hand values)", async () => {
    const d = tensor([
      [4, 10],
      [1, 20],
      [3, 30],
      [2, 40],
    ]);
    const v = arr(await sampleQuantiles(d, [0.25, 0.5, 0.9]));
    // column 0 sorted 1,2,3,4: h = 3q → 1.75, 2.5, 3.7; column 1 sorted 10..40 → 17.5, 25, 37
    for (const [i, w] of [1.75, 17.5, 2.5, 25, 3.7, 37].entries()) expect(v[i]).toBeCloseTo(w, 5);
    await expect(sampleQuantiles(d, [1.5])).rejects.toThrow(/levels must lie in \(0, 1\)/);
  });
});

describe("normalizeCounts", () => {
  it("the mean composition is the Dirichlet mean r/Σr (within 4 standard errors)", () => {
    // a nearly exact guide (scale 1e-4) so r ≈ exp(loc) in every draw
    const res = handResults("nbdm", 1e-4);
    const n = 20;
    const S = 100;
    const { samples, mean } = res.normalizeCounts({ nSamples: S, nSamplesDirichlet: n, seed: 5 });
    expect([...samples.shape]).toEqual([S * n, K, G]);
    const rows = arr(samples.sum(-1));
    for (const s of rows) expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    const m = arr(mean);
    R_LOC.forEach((row, k) => {
      const r = row.map(Math.exp);
      const a0 = r.reduce((a, b) => a + b, 0);
      r.forEach((rg, g) => {
        const mg = rg / a0;
        const se = Math.sqrt((mg * (1 - mg)) / (a0 + 1) / (S * n));
        expect(Math.abs(m[k * G + g]! - mg)).toBeLessThan(4 * se);
      });
    });
  });
});

describe("mixture summaries", () => {
  const res = handResults("nbdm", 1e-3);
  const map = res.getMap();
  const rMap = [0, 1].map((k) => arr(map.r!).slice(k * G, (k + 1) * G));
  const pMap = arr(map.p!);
  const piMap = arr(map.mixing_weights!);

  it("assignment entropy at the MAP equals −Σ p log p of responsibilities computed by hand (1e-4)", () => {
    const resp = responsibilities(rMap, pMap, piMap);
    const h = arr(res.assignmentEntropyMap(COUNTS));
    console.log(`assignment entropies (nats): ${h.map((x) => x.toFixed(4)).join(" ")}`);
    resp.forEach((row, c) => {
      const want = -row.reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0);
      expect(Math.abs(h[c]! - want)).toBeLessThan(1e-4);
    });
    // posterior version: entropy of draw-averaged probabilities, ≤ log K
    const hp = arr(res.mixtureComponentEntropy(COUNTS, { nSamples: 4 }));
    for (const x of hp) expect(x).toBeLessThanOrEqual(Math.log(K) + 1e-6);
  });

  it("empirical mixing weights are (α₀ + Σ_c responsibilities under uniform π) normalised (1e-4)", () => {
    const resp = responsibilities(rMap, pMap, [0.5, 0.5]);
    const alpha = [0, 1].map((k) => 1 + resp.reduce((a, row) => a + row[k]!, 0)); // prior Dirichlet(1, 1)
    const tot = alpha[0]! + alpha[1]!;
    const { weights, concentrations } = res.empiricalMixingWeights(COUNTS);
    for (const [k, x] of arr(concentrations).entries()) expect(Math.abs(x - alpha[k]!)).toBeLessThan(1e-3);
    for (const [k, x] of arr(weights).entries()) expect(Math.abs(x - alpha[k]! / tot)).toBeLessThan(1e-4);
  });

  it("getComponent / getComponents carry component k's values; subsetGenes the chosen genes' values", () => {
    const comps = res.getComponents();
    expect(comps.length).toBe(K);
    comps.forEach((ck, k) => {
      const m = ck.getMap();
      expect(arr(m.r!)).toEqual(rMap[k]);
      expect(arr(m.p!)[0]).toBeCloseTo(pMap[k]!, 6);
      expect(ck.nComponents).toBe(1);
    });
    expect(arr(res.getComponent(1).getMap().r!)).toEqual(rMap[1]);
    const sub = res.subsetGenes([3, 1]);
    const rs = arr(sub.getMap().r!);
    expect(rs).toEqual([rMap[0]![3], rMap[0]![1], rMap[1]![3], rMap[1]![1]]);
    expect(arr(sub.getMap().p!)).toEqual(pMap);
    expect(sub.varNames).toEqual(["3", "1"]);
  });

  it("getDenoisedAnnData holds the MAP-denoised counts in X and the data in layers.counts", async () => {
    const ad = await res.getDenoisedAnnData(COUNTS);
    const den = arr(res.denoiseCountsMap(COUNTS));
    expect(Array.from(ad.X.format === "dense" ? ad.X.data : [], Number)).toEqual(den);
    const layer = ad.layers.counts!;
    expect(Array.from(layer.format === "dense" ? layer.data : [], Number)).toEqual(arr(COUNTS));
    expect(ad.obs.index.length).toBe(C);
    expect(ad.var.index).toEqual(["0", "1", "2", "3"]);
    // nbdm has no capture: the denoised counts are the observed ones
    expect(den).toEqual(arr(COUNTS));
  });
});

describe("prior predictive", () => {
  it("mean of draws under a tight prior matches the NB mean r·p/(1−p) (within 5 standard errors)", () => {
    // p ~ Beta(6000, 4000) ≈ 0.6, r ~ LogNormal(log 5, 0.001) ≈ 5: NB mean 7.5, variance 18.75
    const res = new ScribeResults({
      modelType: "nbdm",
      options: { nCells: 50, nGenes: 4, priors: { p: [6000, 4000], r: [Math.log(5), 0.001] } },
      params: {},
      lossHistory: new Float64Array(0),
    });
    const S = 20;
    const y = res.getPriorPredictiveSamples({ nSamples: S, seed: 9 });
    expect([...y.shape]).toEqual([S, 50, 4]);
    const n = S * 50 * 4;
    const mean = arr(y).reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 7.5)).toBeLessThan(5 * Math.sqrt(18.75 / n));
  });
});
