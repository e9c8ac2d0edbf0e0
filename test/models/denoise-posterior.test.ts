import { key, random, specialScalar, type Tensor, tensor } from "@scribe/core";
import { denoiseCountsWithVariance, fit, type ModelType, makeConfig, ScribeResults } from "@scribe/models";
import { describe, expect, it } from "vitest";

// Reference values are computed here in float64 from the closed forms (SCRIBE results), with
// q = p(1 − ν): mean (u + r q)/(1 − q), mode u + ⌊max(r + u − 1, 0) q/(1 − q)⌋,
// variance (r + u) q/(1 − q)²; zero-inflated zeros mix in the prior NB(r, p) with weight
// w = g/(g + (1 − g)((1 − p)/(1 − q))^r).

const F64 = { dtype: "float64" } as const;

/** Results whose posterior draws are the given tensors (the MCMC path of getPosteriorSamples). */
function handResults(
  modelType: ModelType,
  C: number,
  G: number,
  samples: Record<string, Tensor>,
  nComponents = 1,
): ScribeResults {
  return new ScribeResults({
    modelType,
    options: { nCells: C, nGenes: G, nComponents },
    params: {},
    lossHistory: new Float64Array(0),
    inferenceMethod: "mcmc",
    mcmcSamples: samples,
  });
}

const arr = (t: Tensor) => Array.from(t.dataSync(), Number);

interface Ref {
  mean: number;
  mode: number;
  variance: number;
}

/** Closed-form denoising of one count u with (r, p, ν, gate). */
function ref(u: number, r: number, p: number, nu: number | null, gate: number | null): Ref {
  const q = nu === null ? 0 : p * (1 - nu);
  const nb: Ref = {
    mean: (u + r * q) / (1 - q),
    mode: u + Math.floor((Math.max(r + u - 1, 0) * q) / (1 - q)),
    variance: ((r + u) * q) / (1 - q) ** 2,
  };
  if (gate === null || u !== 0) return nb;
  const w = gate / (gate + (1 - gate) * ((1 - p) / (1 - q)) ** r);
  const gMean = (r * p) / (1 - p);
  const gMode = Math.floor((Math.max(r - 1, 0) * p) / (1 - p));
  const gVar = (r * p) / (1 - p) ** 2;
  return {
    mean: w * gMean + (1 - w) * nb.mean,
    mode: w > 0.5 ? gMode : nb.mode,
    variance: w * gVar + (1 - w) * nb.variance + w * (1 - w) * (gMean - nb.mean) ** 2,
  };
}

// counts with zeros, small and large values; C = 4 cells, G = 3 genes
const U = [
  [0, 3, 17],
  [1, 0, 0],
  [8, 2, 40],
  [0, 0, 5],
];
const C = 4;
const G = 3;
const counts = tensor(U, F64);

describe("denoiseCountsPosterior: NBDM (no capture) is the identity", () => {
  it("for every draw and method, with zero variance (hand-built draws)", () => {
    const S = 5;
    const res = handResults("nbdm", C, G, {
      r: random.uniform(key(1), [S, G], 0.5, 4, F64),
      p: random.uniform(key(2), [S], 0.2, 0.8, F64),
    });
    for (const method of ["mean", "mode", "sample"] as const) {
      const out = res.denoiseCountsPosterior(counts, { method, returnVariance: true });
      expect(out.denoised.shape).toEqual([S, C, G]);
      const d = arr(out.denoised);
      for (let s = 0; s < S; s++) expect(d.slice(s * C * G, (s + 1) * C * G)).toEqual(U.flat());
      expect(arr(out.mean)).toEqual(U.flat());
      expect(arr(out.variance!).every((v) => v === 0)).toBe(true);
    }
  });

  it("for a fitted NBDM with SVI posterior draws", async () => {
    const c32 = random.poisson(key(4), tensor(2), [20, 5]);
    const { results } = await fit(c32, { model: "nbdm", nSteps: 30 });
    const out = results.denoiseCountsPosterior(c32, { nSamples: 3, method: "sample" });
    expect(out.denoised.shape).toEqual([3, 20, 5]);
    const x = arr(c32);
    const d = arr(out.denoised);
    for (let s = 0; s < 3; s++) expect(d.slice(s * 100, (s + 1) * 100)).toEqual(x);
  });
});

describe("denoiseCountsPosterior: variable capture, closed forms per draw", () => {
  const S = 3;
  const r = tensor(
    [
      [0.7, 2.5, 6],
      [1.2, 3, 0.4],
      [4, 1, 2],
    ],
    F64,
  );
  const p = tensor([0.3, 0.55, 0.8], F64);
  const nu = tensor(
    [
      [0.2, 0.5, 0.9, 0.05],
      [0.6, 0.3, 0.1, 0.75],
      [0.4, 0.95, 0.5, 0.25],
    ],
    F64,
  );
  const gate = tensor(
    [
      [0.1, 0.6, 0.3],
      [0.8, 0.05, 0.5],
      [0.4, 0.4, 0.9],
    ],
    F64,
  );
  const R = r.dataSync();
  const P = p.dataSync();
  const NU = nu.dataSync();
  const GT = gate.dataSync();

  function check(modelType: "nbvcp" | "zinbvcp") {
    const zi = modelType === "zinbvcp";
    const res = handResults(modelType, C, G, zi ? { r, p, p_capture: nu, gate } : { r, p, p_capture: nu });
    const mean = res.denoiseCountsPosterior(counts, { method: "mean", returnVariance: true });
    const mode = res.denoiseCountsPosterior(counts, { method: "mode" });
    // the zero-inflated zeros alone take the mode, everything else the mean
    const pair = res.denoiseCountsPosterior(counts, { method: ["mean", "mode"] });
    const dm = arr(mean.denoised);
    const dv = arr(mean.variance!);
    const dd = arr(mode.denoised);
    const dp = arr(pair.denoised);
    let worst = 0;
    for (let s = 0; s < S; s++)
      for (let c = 0; c < C; c++)
        for (let g = 0; g < G; g++) {
          const u = U[c]![g]!;
          const e = ref(u, R[s * G + g]!, P[s]!, NU[s * C + c]!, zi ? GT[s * G + g]! : null);
          const i = (s * C + c) * G + g;
          worst = Math.max(
            worst,
            Math.abs(dm[i]! - e.mean) / e.mean,
            Math.abs(dv[i]! - e.variance) / e.variance,
          );
          expect(dd[i]).toBe(e.mode);
          expect(dp[i]).toBeCloseTo(zi && u === 0 ? e.mode : e.mean, 10);
        }
    expect(worst).toBeLessThan(1e-12);
    // mean over draws
    const m = arr(mean.mean);
    for (let i = 0; i < C * G; i++)
      expect(m[i]).toBeCloseTo((dm[i]! + dm[i + C * G]! + dm[i + 2 * C * G]!) / 3, 12);
    return worst;
  }

  it("nbvcp: mean, mode and variance match (u + r q)/(1 − q), u + ⌊max(r + u − 1, 0) q/(1 − q)⌋, (r + u) q/(1 − q)²", () => {
    check("nbvcp");
  });

  it("zinbvcp: zeros mix the prior NB(r, p) with the gate weight w (mean, mode, total variance)", () => {
    check("zinbvcp");
  });

  it("denoiseCountsMap still agrees with the per-draw function at the MAP-like single draw", () => {
    const cfg = makeConfig("nbvcp", { nCells: C, nGenes: G });
    const draw = {
      r: r.slice([0, 0], [1, G]).reshape([G]),
      p: p.slice([0], [1]).reshape([]),
      p_capture: nu.slice([0, 0], [1, C]).reshape([C]),
    };
    const out = denoiseCountsWithVariance(cfg, counts, draw);
    const d = arr(out.denoised);
    for (let c = 0; c < C; c++)
      for (let g = 0; g < G; g++)
        expect(d[c * G + g]).toBeCloseTo(ref(U[c]![g]!, R[g]!, P[0]!, NU[c]!, null).mean, 12);
  });
});

describe("denoiseCountsPosterior: method 'sample' averages to method 'mean'", () => {
  // many slightly different draws; the mean over draws of the sampled counts must agree with
  // the mean over draws of the posterior means within the Monte Carlo error
  // sqrt(Σ_s Var_s)/S (Var_s: the posterior variance given draw s). The bound is in standard
  // errors, so it holds at any S; 400 draws keep the test fast (the error itself is ≈ 2 % of
  // the mean here, small enough that a wrong mean formula of ≥ 10 % shows as z ≫ 4.5)
  const S = 400;
  const draws = (zi: boolean) => {
    const base: Record<string, Tensor> = {
      r: tensor([1.5, 4, 0.6], F64)
        .reshape([1, G])
        .mul(random.uniform(key(31), [S, G], 0.8, 1.25, F64)),
      p: random.uniform(key(32), [S], 0.4, 0.6, F64),
      p_capture: tensor([0.2, 0.5, 0.8, 0.35], F64)
        .reshape([1, C])
        .mul(random.uniform(key(33), [S, C], 0.9, 1.1, F64)),
    };
    if (zi) base.gate = random.uniform(key(34), [S, G], 0.2, 0.6, F64);
    return base;
  };

  for (const modelType of ["nbvcp", "zinbvcp"] as const) {
    it(`${modelType}: all ${C * G} cells × genes within 4.5 Monte Carlo standard errors`, () => {
      const res = handResults(modelType, C, G, draws(modelType === "zinbvcp"));
      const mean = res.denoiseCountsPosterior(counts, { method: "mean", returnVariance: true });
      const smp = res.denoiseCountsPosterior(counts, { method: "sample", seed: 5 });
      const v = arr(mean.variance!);
      const a = arr(mean.mean);
      const b = arr(smp.mean);
      let worst = 0;
      for (let i = 0; i < C * G; i++) {
        let vs = 0;
        for (let s = 0; s < S; s++) vs += v[s * C * G + i]!;
        const se = Math.sqrt(vs) / S;
        const z = Math.abs(a[i]! - b[i]!) / se;
        worst = Math.max(worst, z);
        expect(z).toBeLessThan(4.5);
      }
      // sampled values are non-negative integers ≥ the observed count (capture only adds)
      const d = arr(smp.denoised);
      for (let i = 0; i < d.length; i++) {
        expect(Number.isInteger(d[i])).toBe(true);
        if (modelType === "nbvcp") expect(d[i]!).toBeGreaterThanOrEqual(U.flat()[i % (C * G)]!);
      }
      console.log(
        `${modelType}: sample vs mean, worst |z| = ${worst.toFixed(2)} over ${C * G} entries (S = ${S})`,
      );
    }, 180_000);
  }

  it("the variance formula matches the spread of samples from one repeated draw", () => {
    const n = 800;
    const one = {
      r: tensor([2, 0.8, 5], F64),
      p: tensor(0.5, F64),
      p_capture: tensor([0.3, 0.6, 0.4, 0.2], F64),
      gate: tensor([0.3, 0.5, 0.2], F64),
    };
    const rep: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(one)) rep[k] = t.unsqueeze(0).expand([n, ...t.shape]);
    const res = handResults("zinbvcp", C, G, rep);
    const smp = arr(res.denoiseCountsPosterior(counts, { method: "sample", seed: 9 }).denoised);
    const exact = arr(
      res.denoiseCountsPosterior(counts, { method: "mean", returnVariance: true }).variance!,
    ).slice(0, C * G);
    // the sample variance's standard error is sqrt((m4 − v²)/n) (m4: the fourth central moment,
    // estimated from the same samples; zero-inflated NB draws are heavy-tailed, so the
    // Gaussian sqrt(2/n)·v would understate it): 12 entries within 4.5 standard errors
    let worst = 0;
    for (let i = 0; i < C * G; i++) {
      const xs = Array.from({ length: n }, (_, s) => smp[s * C * G + i]!);
      const m = xs.reduce((a, b) => a + b, 0) / n;
      const ev = xs.reduce((a, x) => a + (x - m) ** 2, 0) / n;
      const m4 = xs.reduce((a, x) => a + (x - m) ** 4, 0) / n;
      const z = Math.abs(ev - exact[i]!) / Math.sqrt((m4 - ev * ev) / n);
      worst = Math.max(worst, z);
      expect(z, `entry ${i}: sample variance ${ev}, formula ${exact[i]}`).toBeLessThan(4.5);
    }
    console.log(`zinbvcp: sample variance vs formula, worst |z| = ${worst.toFixed(2)} (n = ${n})`);
  }, 180_000);
});

describe("denoiseCountsPosterior: mixtures", () => {
  const K = 2;
  const S = 2;
  // r [S, K, G], p [S, K], ν [S, C], π [S, K]
  const rM = [
    [
      [1, 3, 0.5],
      [4, 0.7, 2],
    ],
    [
      [1.5, 2, 0.8],
      [3, 1, 6],
    ],
  ];
  const pM = [
    [0.4, 0.7],
    [0.5, 0.6],
  ];
  const nuM = [
    [0.3, 0.6, 0.5, 0.2],
    [0.4, 0.5, 0.7, 0.3],
  ];
  const piM = [
    [0.3, 0.7],
    [0.6, 0.4],
  ];
  const samples = {
    r: tensor(rM, F64),
    p: tensor(pM, F64),
    p_capture: tensor(nuM, F64),
    mixing_weights: tensor(piM, F64),
  };
  const res = handResults("nbvcp", C, G, samples, K);

  /** Responsibilities P(k | u_c) ∝ π_k Π_g NB(u | r_kg, p̂ = p ν/(1 − p(1 − ν))), computed here. */
  function resp(s: number, c: number): number[] {
    const lp = [0, 1].map((k) => {
      const p = pM[s]![k]!;
      const nu = nuM[s]![c]!;
      const ph = (p * nu) / (1 - p * (1 - nu));
      let l = Math.log(piM[s]![k]!);
      for (let g = 0; g < G; g++) {
        const u = U[c]![g]!;
        const r = rM[s]![k]![g]!;
        l +=
          specialScalar.lgamma(u + r) -
          specialScalar.lgamma(r) -
          specialScalar.lgamma(u + 1) +
          r * Math.log(1 - ph) +
          u * Math.log(ph);
      }
      return l;
    });
    const m = Math.max(...lp);
    const e = lp.map((x) => Math.exp(x - m));
    return e.map((x) => x / (e[0]! + e[1]!));
  }

  const comp = (s: number, c: number, g: number, k: number) =>
    ref(U[c]![g]!, rM[s]![k]![g]!, pM[s]![k]!, nuM[s]![c]!, null);

  it("marginal mean and total variance over the responsibilities (default) and over π ('mixing')", () => {
    for (const weights of ["responsibilities", "mixing"] as const) {
      const out = res.denoiseCountsPosterior(counts, { componentWeights: weights, returnVariance: true });
      const d = arr(out.denoised);
      const v = arr(out.variance!);
      for (let s = 0; s < S; s++)
        for (let c = 0; c < C; c++) {
          const w = weights === "mixing" ? piM[s]! : resp(s, c);
          for (let g = 0; g < G; g++) {
            const e = [0, 1].map((k) => comp(s, c, g, k));
            const m = w[0]! * e[0]!.mean + w[1]! * e[1]!.mean;
            const vv =
              w[0]! * (e[0]!.variance + e[0]!.mean ** 2) + w[1]! * (e[1]!.variance + e[1]!.mean ** 2) - m * m;
            const i = (s * C + c) * G + g;
            expect(Math.abs(d[i]! - m) / m).toBeLessThan(1e-9);
            expect(Math.abs(v[i]! - vv) / vv).toBeLessThan(1e-8);
          }
        }
    }
  });

  it("hard assignments (per draw argmax, or fixed) and mode use one component per cell", () => {
    const fixed = tensor([1, 0, 1, 1], { dtype: "int32" });
    const hard = arr(res.denoiseCountsPosterior(counts, { mixture: "hard" }).denoised);
    const fix = arr(res.denoiseCountsPosterior(counts, { assignments: fixed }).denoised);
    const mode = arr(res.denoiseCountsPosterior(counts, { method: "mode" }).denoised);
    for (let s = 0; s < S; s++)
      for (let c = 0; c < C; c++) {
        const w = resp(s, c);
        const kHard = w[1]! > w[0]! ? 1 : 0;
        for (let g = 0; g < G; g++) {
          const i = (s * C + c) * G + g;
          expect(hard[i]).toBeCloseTo(comp(s, c, g, kHard).mean, 10);
          expect(fix[i]).toBeCloseTo(comp(s, c, g, [1, 0, 1, 1][c]!).mean, 10);
          expect(mode[i]).toBe(comp(s, c, g, kHard).mode);
        }
      }
  });

  it("'sample' draws the component from the weights: its average matches the marginal mean", () => {
    // the bound is in Monte Carlo standard errors sqrt(Var/n), valid at any n; 400 keeps it fast
    const n = 400;
    const rep: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(samples))
      rep[k] = t
        .slice([0, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)])
        .expand([n, ...t.shape.slice(1)]);
    const many = handResults("nbvcp", C, G, rep, K);
    const mean = many.denoiseCountsPosterior(counts, { nSamples: n, returnVariance: true });
    const smp = arr(many.denoiseCountsPosterior(counts, { method: "sample", seed: 3 }).mean);
    const m = arr(mean.mean);
    const v = arr(mean.variance!).slice(0, C * G);
    for (let i = 0; i < C * G; i++)
      expect(Math.abs(smp[i]! - m[i]!) / Math.sqrt(v[i]! / n)).toBeLessThan(4.5);
  }, 180_000);
});

describe("denoiseCountsPosterior on fitted results", () => {
  it("stacks nSamples draws, averages them, and is reproducible by seed", async () => {
    const c32 = random.poisson(key(6), tensor(3), [24, 5]);
    const { results } = await fit(c32, { model: "zinbvcp", nSteps: 40, nComponents: 2 });
    const a = results.denoiseCountsPosterior(c32, {
      nSamples: 4,
      method: "sample",
      seed: 1,
      returnVariance: true,
    });
    expect(a.denoised.shape).toEqual([4, 24, 5]);
    expect(a.variance!.shape).toEqual([4, 24, 5]);
    expect(a.mean.shape).toEqual([24, 5]);
    const d = arr(a.denoised);
    const m = arr(a.mean);
    for (let i = 0; i < 120; i++)
      expect(m[i]).toBeCloseTo((d[i]! + d[i + 120]! + d[i + 240]! + d[i + 360]!) / 4, 5);
    expect(
      arr(results.denoiseCountsPosterior(c32, { nSamples: 4, method: "sample", seed: 1 }).denoised),
    ).toEqual(d);
    expect(
      arr(results.denoiseCountsPosterior(c32, { nSamples: 4, method: "sample", seed: 2 }).denoised),
    ).not.toEqual(d);
    expect(() => results.denoiseCountsPosterior(c32, { method: "median" as never })).toThrow(
      /unknown method/,
    );
  });
});
