/**
 * Bayesian DE (de/bayesian) against closed forms: log-ratio identities and the Helmert basis,
 * the composition draws (E and Var of log Gamma are ψ and ψ′), the empirical Δ of fixed
 * Dirichlet compositions, the parametric method against the empirical one on Gaussian draws,
 * the shrinkage EM against a direct maximisation, PEFP / findThreshold on hand-built vectors,
 * and the biological level in our NB convention.
 */
import { key, specialScalar } from "@scribe/core";
import {
  ashShrinkage,
  balanceVector,
  biologicalLevel,
  clrRow,
  compare,
  drawsSource,
  empiricalDelta,
  findThreshold,
  fitLogisticNormalAlr,
  GammaStream,
  gammaJeffreys,
  helmertBasis,
  ilrRow,
  interQuartileSet,
  LogRatioPlan,
  mixtureLogLikelihood,
  ParametricPosterior,
  pefp,
  symmetricEigen,
} from "@scribe/models/de/bayesian/index.js";
import { nelderMead } from "@scribe/models/de/nelder-mead.js";
import { describe, expect, it } from "vitest";

const { digamma, trigamma } = specialScalar;

describe("log-ratio coordinates", () => {
  const x = [0.1, 0.2, 0.05, 0.4, 0.25];
  const l = x.map(Math.log);
  const D = x.length;
  it("Helmert basis: orthonormal rows orthogonal to 1, and ILR = H·log x = H·CLR(x)", () => {
    const H = helmertBasis(D);
    for (let i = 0; i < D - 1; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += H[i * D + j]!;
      expect(Math.abs(s)).toBeLessThan(1e-14);
      for (let k = 0; k < D - 1; k++) {
        let dot = 0;
        for (let j = 0; j < D; j++) dot += H[i * D + j]! * H[k * D + j]!;
        expect(dot).toBeCloseTo(i === k ? 1 : 0, 14);
      }
    }
    const ilr = ilrRow(l, new Float64Array(D - 1));
    const clr = clrRow(l, new Float64Array(D));
    for (let i = 0; i < D - 1; i++) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < D; j++) {
        a += H[i * D + j]! * l[j]!;
        b += H[i * D + j]! * clr[j]!;
      }
      expect(ilr[i]).toBeCloseTo(a, 13);
      expect(ilr[i]).toBeCloseTo(b, 13);
    }
    // isometry: ‖ilr‖ = ‖clr‖
    const n2 = (v: ArrayLike<number>) => Array.from(v).reduce((s, t) => s + t * t, 0);
    expect(n2(ilr)).toBeCloseTo(n2(clr), 12);
  });
  it("CLR sums to 0, ALR = CLR_g − CLR_ref, and every log-ratio ignores the scale", () => {
    const clr = clrRow(l, new Float64Array(D));
    expect(Math.abs(clr.reduce((a, b) => a + b, 0))).toBeLessThan(1e-14);
    const names = ["a", "b", "c", "d", "e"];
    const alr = new LogRatioPlan(names, false, "alr", 1);
    expect(alr.names).toEqual(["a", "c", "d", "e"]);
    const out = new Float64Array(4);
    alr.apply(l, out);
    expect(out[2]).toBeCloseTo(clr[3]! - clr[1]!, 14);
    for (const ref of ["clr", "ilr", "alr"] as const) {
      const plan = new LogRatioPlan(names, false, ref);
      const a = new Float64Array(plan.nOut);
      const b = new Float64Array(plan.nOut);
      plan.apply(l, a);
      plan.apply(
        l.map((v) => v + 3.7),
        b,
      );
      for (let j = 0; j < plan.nOut; j++) expect(b[j]).toBeCloseTo(a[j]!, 13);
    }
  });
  it("an 'other' column enters the centring and is then dropped", () => {
    const plan = new LogRatioPlan(["a", "b", "c", "d"], true, "clr");
    const out = new Float64Array(4);
    plan.apply(l, out);
    const clr = clrRow(l, new Float64Array(D));
    expect(plan.names).toEqual(["a", "b", "c", "d"]);
    for (let j = 0; j < 4; j++) expect(out[j]).toBeCloseTo(clr[j]!, 14);
    const ilr = new LogRatioPlan(["a", "b", "c", "d"], true, "ilr");
    expect(ilr.nOut).toBe(3);
  });
  it("balance vector: unit length, sums to 0, equals √(n₊n₋/D)(mean_S − mean_rest)", () => {
    const inSet = [true, false, true, false, false];
    const v = balanceVector(inSet);
    expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 14);
    expect(v.reduce((a, b) => a + b * b, 0)).toBeCloseTo(1, 14);
    const bal = v.reduce((s, c, j) => s + c * l[j]!, 0);
    const mS = (l[0]! + l[2]!) / 2;
    const mR = (l[1]! + l[3]! + l[4]!) / 3;
    expect(bal).toBeCloseTo(Math.sqrt((2 * 3) / 5) * (mS - mR), 13);
    expect(() => balanceVector([true, true])).toThrow(/between 1 and 1/);
  });
  it("IQLR keeps the genes whose variance is within [Q1, Q3]", () => {
    // quartiles (type 7) of 1..9 are 3 and 7
    expect(Array.from(interQuartileSet([5, 1, 9, 3, 7, 2, 8, 4, 6]))).toEqual([0, 3, 4, 7, 8]);
  });
});

describe("PEFP and findThreshold", () => {
  it("PEFP is the mean lfsr of the genes below the threshold", () => {
    expect(pefp([0.01, 0.03, 0.2, 0.04], 0.05)).toBeCloseTo(0.08 / 3, 15);
    expect(pefp([0.3, 0.2], 0.05)).toBe(0);
  });
  it("findThreshold returns the value that admits the longest prefix with running mean ≤ target", () => {
    // running means 0.01, 0.015, 0.04, 0.155 → 3 genes; threshold = 4th value
    const l = [0.5, 0.02, 0.09, 0.01];
    const t = findThreshold(l, 0.05);
    expect(t).toBe(0.5);
    expect(pefp(l, t)).toBeCloseTo(0.04, 15);
    expect(findThreshold([0.2, 0.3], 0.05)).toBe(0);
    const all = findThreshold([0.01, 0.02], 0.05);
    expect(all).toBeGreaterThan(0.02);
    expect(pefp([0.01, 0.02], all)).toBeCloseTo(0.015, 15);
  });
});

describe("composition draws", () => {
  it("log Gamma draws have mean ψ(a) and variance ψ′(a), tiny shapes included", () => {
    const s = new GammaStream(key(3));
    const n = 40_000;
    for (const a of [0.05, 0.7, 1, 3.5, 40]) {
      let m = 0;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        const v = s.logGamma(a);
        m += v;
        m2 += v * v;
      }
      m /= n;
      const v = m2 / n - m * m;
      // Monte Carlo: 5 standard errors of the mean, 6 % of the variance
      expect(Math.abs(m - digamma(a))).toBeLessThan(5 * Math.sqrt(trigamma(a) / n));
      expect(Math.abs(v / trigamma(a) - 1)).toBeLessThan(0.06);
    }
    expect(() => s.logGamma(0)).toThrow(/positive/);
  });

  it("empirical Δ of fixed Dirichlet compositions: CLR mean and sd match the digamma/trigamma closed forms", async () => {
    const G = 6;
    const rA = [0.5, 1, 2, 4, 8, 3];
    const rB = [0.5, 2, 2, 1, 8, 3];
    const S = 20_000;
    const genes = rA.map((_, i) => `g${i}`);
    const rep = (r: number[]) => Float64Array.from({ length: S * G }, (_, i) => r[i % G]!);
    const a = drawsSource({ genes, r: rep(rA), p: new Float64Array(S).fill(0.3), nDraws: S });
    const b = drawsSource({ genes, r: rep(rB), p: new Float64Array(S).fill(0.7), nDraws: S });
    const post = await empiricalDelta(a, b, { nSamples: S, seed: 5, tau: [0.5] });
    // CLR_g = log G_g − mean_j log G_j: E = ψ(r_g) − mean ψ, Var = ψ′(r_g)(1 − 2/D) + Σψ′/D²
    const mom = (r: number[]) => {
      const mpsi = r.reduce((s, v) => s + digamma(v), 0) / G;
      const s1 = r.reduce((s, v) => s + trigamma(v), 0);
      return r.map((v) => ({ m: digamma(v) - mpsi, v: trigamma(v) * (1 - 2 / G) + s1 / (G * G) }));
    };
    const ma = mom(rA);
    const mb = mom(rB);
    for (let g = 0; g < G; g++) {
      const sd = Math.sqrt(ma[g]!.v + mb[g]!.v);
      expect(Math.abs(post.mean[g]! - (ma[g]!.m - mb[g]!.m))).toBeLessThan((5 * sd) / Math.sqrt(S));
      expect(Math.abs(post.sd[g]! / sd - 1)).toBeLessThan(0.03);
    }
    // tails counted in the pass equal tails from the kept draws
    expect(post.draws).not.toBeNull();
    const counted = post.tails(0.5);
    const p2 = await empiricalDelta(a, b, { nSamples: S, seed: 5, keepDraws: true });
    const fromDraws = p2.tails(0.5);
    for (let g = 0; g < G; g++) expect(fromDraws.up[g]).toBeCloseTo(counted.up[g]!, 12);
    const p3 = await empiricalDelta(a, b, { nSamples: 50, seed: 5, keepDraws: false });
    expect(() => p3.tails(0.3)).toThrow(/tau: \[0.3\]/);
  });

  it("geneMask pools the other genes into one part: with a shared p it is Gamma(Σ r)", async () => {
    const r = [1, 2, 3, 0.5, 0.7, 0.8];
    const G = r.length;
    const S = 20_000;
    const genes = r.map((_, i) => `g${i}`);
    const rr = Float64Array.from({ length: S * G }, (_, i) => r[i % G]!);
    const src = drawsSource({ genes, r: rr, p: new Float64Array(S).fill(0.5), nDraws: S });
    const flat = drawsSource({
      genes,
      r: Float64Array.from({ length: S * G }, () => 1),
      p: new Float64Array(S).fill(0.5),
      nDraws: S,
    });
    const post = await empiricalDelta(src, flat, { nSamples: S, geneMask: ["g0", "g1", "g2"], seed: 2 });
    expect(post.names).toEqual(["g0", "g1", "g2"]);
    const partsA = [1, 2, 3, 0.5 + 0.7 + 0.8];
    const partsB = [1, 1, 1, 3];
    const clrMean = (c: number[]) =>
      c.map((v) => digamma(v) - c.reduce((s, u) => s + digamma(u), 0) / c.length);
    const ea = clrMean(partsA);
    const eb = clrMean(partsB);
    for (let g = 0; g < 3; g++) expect(post.mean[g]).toBeCloseTo(ea[g]! - eb[g]!, 1);
  });

  it("mixtures: component by index or label, errors name the range and the labels", async () => {
    const G = 3;
    const S = 200;
    const genes = ["x", "y", "z"];
    const r1 = Float64Array.from({ length: S * G }, (_, i) => 1 + (i % G));
    const mix = new Float64Array(S * 2 * G);
    for (let s = 0; s < S; s++)
      for (let g = 0; g < G; g++) {
        mix[(s * 2 + 0) * G + g] = 5;
        mix[(s * 2 + 1) * G + g] = r1[s * G + g]!;
      }
    const p = new Float64Array(S).fill(0.5);
    const weights = Float64Array.from({ length: S * 2 }, () => 0.5);
    const m = drawsSource({
      genes,
      r: mix,
      p,
      nDraws: S,
      nComponents: 2,
      weights,
      componentLabels: ["T", "B"],
    });
    const plain = drawsSource({ genes, r: r1, p, nDraws: S });
    const ref = drawsSource({ genes, r: Float64Array.from({ length: S * G }, () => 2), p, nDraws: S });
    const viaLabel = await empiricalDelta(m, ref, { nSamples: S, componentA: "B", seed: 1 });
    const direct = await empiricalDelta(plain, ref, { nSamples: S, seed: 1 });
    expect(Array.from(viaLabel.mean)).toEqual(Array.from(direct.mean));
    await expect(empiricalDelta(m, ref, { nSamples: S, componentA: 2 })).rejects.toThrow(
      /component 2 is out of range \[0, 1\]/,
    );
    await expect(empiricalDelta(m, ref, { nSamples: S, componentA: "NK" })).rejects.toThrow(/labels: T, B/);
    await expect(empiricalDelta(m, ref, { nSamples: S })).rejects.toThrow(/mixture with 2 components/);
    const w = await empiricalDelta(m, m, { nSamples: S, mixtureWeighted: true });
    expect(w.names).toEqual(genes);
  });
});

describe("parametric method", () => {
  it("Δ moments (per gene and for a balance) agree with the empirical moments of the same Gaussian ALR draws", () => {
    const p = 7; // ALR dims, D = 8 parts
    const S = 6000;
    const genes = Array.from({ length: p + 1 }, (_, i) => `g${i}`);
    const gen = (seed: number, shift: number) => {
      const s = new GammaStream(key(seed));
      const W = Float64Array.from({ length: p * 2 }, (_, i) => 0.4 * Math.sin(i + seed));
      const Z = new Float64Array(S * p);
      for (let n = 0; n < S; n++) {
        const f = [s.normal(), s.normal()];
        for (let j = 0; j < p; j++)
          Z[n * p + j] =
            shift * j * 0.1 +
            W[j * 2]! * f[0]! +
            W[j * 2 + 1]! * f[1]! +
            Math.sqrt(0.01 + 0.005 * j) * s.normal();
      }
      return Z;
    };
    const Za = gen(1, 1);
    const Zb = gen(2, -1);
    // empirical: CLR of (z, 0), paired differences
    const D = p + 1;
    const delta = new Float64Array(S * D);
    const row = new Float64Array(D);
    const ca = new Float64Array(D);
    const cb = new Float64Array(D);
    for (let n = 0; n < S; n++) {
      for (const [Z, out] of [
        [Za, ca],
        [Zb, cb],
      ] as const) {
        row.fill(0);
        for (let j = 0; j < p; j++) row[j] = Z[n * p + j]!;
        clrRow(row, out);
      }
      for (let g = 0; g < D; g++) delta[n * D + g] = ca[g]! - cb[g]!;
    }
    // full rank: the fit's covariance is the sample covariance, so the CLR variances are exact
    const fa = fitLogisticNormalAlr(Float64Array.from(Za), S, p, { rank: p, genes, hasOther: false });
    const fb = fitLogisticNormalAlr(Float64Array.from(Zb), S, p, { rank: p, genes, hasOther: false });
    const par = new ParametricPosterior(fa, fb);
    const clrVar = (Z: Float64Array) => {
      const out = new Float64Array(D);
      const mean = new Float64Array(D);
      const rows = Array.from({ length: S }, (_, n) => {
        row.fill(0);
        for (let j = 0; j < p; j++) row[j] = Z[n * p + j]!;
        return clrRow(row, new Float64Array(D));
      });
      for (const r of rows) for (let g = 0; g < D; g++) mean[g]! += r[g]! / S;
      for (const r of rows) for (let g = 0; g < D; g++) out[g]! += (r[g]! - mean[g]!) ** 2 / (S - 1);
      return out;
    };
    const va = clrVar(Za);
    const vb = clrVar(Zb);
    for (let g = 0; g < D; g++) expect(par.sd[g]! ** 2 / (va[g]! + vb[g]!)).toBeCloseTo(1, 8);
    // low rank on a low-rank truth stays within a few per cent
    const lowA = fitLogisticNormalAlr(Float64Array.from(Za), S, p, { rank: 2, genes, hasOther: false });
    const lowB = fitLogisticNormalAlr(Float64Array.from(Zb), S, p, { rank: 2, genes, hasOther: false });
    const low = new ParametricPosterior(lowA, lowB);
    for (let g = 0; g < D; g++) expect(Math.abs(low.sd[g]! / par.sd[g]! - 1)).toBeLessThan(0.2);
    for (let g = 0; g < D; g++) {
      let m = 0;
      let m2 = 0;
      for (let n = 0; n < S; n++) {
        m += delta[n * D + g]!;
        m2 += delta[n * D + g]! ** 2;
      }
      m /= S;
      const sd = Math.sqrt(m2 / S - m * m);
      expect(par.mean[g]).toBeCloseTo(m, 10); // both are sample means of the same draws
      expect(Math.abs(par.sd[g]! / sd - 1)).toBeLessThan(0.05); // ±5 %: cross-covariance of independent sides is O(1/√S)
    }
    const v = balanceVector([true, true, false, false, true, false, false, false]);
    const x = new Float64Array(S);
    for (let n = 0; n < S; n++) for (let g = 0; g < D; g++) x[n]! += v[g]! * delta[n * D + g]!;
    const mx = x.reduce((a, b) => a + b, 0) / S;
    const sx = Math.sqrt(x.reduce((a, b) => a + (b - mx) ** 2, 0) / (S - 1));
    const c = par.contrast(v);
    expect(c.mean).toBeCloseTo(mx, 10);
    expect(Math.abs(c.sd / sx - 1)).toBeLessThan(0.05);
  });
  it("Jacobi eigen-decomposition reproduces a symmetric matrix", () => {
    const A = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 1]);
    const { values, vectors } = symmetricEigen(A, 3);
    expect(values[0]).toBeGreaterThanOrEqual(values[1]!);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += vectors[i * 3 + k]! * values[k]! * vectors[j * 3 + k]!;
        expect(s).toBeCloseTo(A[i * 3 + j]!, 12);
      }
  });
});

describe("shrinkage", () => {
  it("EM reaches the maximum of the mixture likelihood found by direct optimisation", () => {
    const s = new GammaStream(key(11));
    const G = 60;
    const bh = new Float64Array(G);
    const se = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      se[g] = 0.3 + 0.2 * s.uniform();
      const beta = g < 40 ? 0 : 1.5 * s.normal();
      bh[g] = beta + se[g]! * s.normal();
    }
    const sigma = Float64Array.from([0, 0.5, 2]);
    const em = ashShrinkage(bh, se, { sigmaGrid: sigma, maxIter: 5000, tol: 1e-12 });
    // direct: softmax-parameterised weights, Nelder–Mead on −log-likelihood
    const toW = (x: Float64Array) => {
      const e = [1, Math.exp(x[0]!), Math.exp(x[1]!)];
      const t = e[0]! + e[1]! + e[2]!;
      return e.map((v) => v / t);
    };
    const nm = nelderMead((x) => -mixtureLogLikelihood(bh, se, sigma, toW(x)), [0, 0], {
      maxit: 5000,
      reltol: 1e-14,
    });
    const wDirect = toW(Float64Array.from(nm.x));
    const llDirect = mixtureLogLikelihood(bh, se, sigma, wDirect);
    expect(em.logLikelihood).toBeGreaterThan(llDirect - 1e-6);
    for (let k = 0; k < 3; k++) expect(em.weights[k]).toBeCloseTo(wDirect[k]!, 2);
    expect(em.nullProportion).toBe(em.weights[0]);
  });
  it("shrunk posteriors pull small noisy effects to 0 and keep large ones", async () => {
    const G = 200;
    const genes = Array.from({ length: G }, (_, i) => `g${i}`);
    // a hand-made posterior: estimates 0.3·sin(g) (small) for 180 genes and 4 for 20, all with sd 0.5
    const post = {
      method: "empirical" as const,
      names: genes,
      mean: Float64Array.from(genes, (_, g) => (g < 180 ? 0.3 * Math.sin(g) : 4)),
      sd: new Float64Array(G).fill(0.5),
      probPositive: new Float64Array(G),
      probNegative: new Float64Array(G),
      tails: () => ({ up: new Float64Array(G), down: new Float64Array(G) }),
      contrast: () => {
        throw new Error("unused");
      },
    };
    const { ShrinkagePosterior } = await import("@scribe/models/de/bayesian/shrinkage.js");
    const sh = new ShrinkagePosterior(post);
    expect(sh.fit.nullProportion).toBeGreaterThan(0.2);
    expect(Math.abs(sh.mean[5]!)).toBeLessThan(Math.abs(post.mean[5]!));
    expect(sh.mean[190]).toBeGreaterThan(3.5);
    const t = sh.tails(0);
    for (let g = 0; g < G; g++) expect(t.up[g]).toBeCloseTo(sh.probPositive[g]!, 12);
  });
});

describe("biological level (code convention: var = mu(1 + mu/r))", () => {
  it("LFC, LVR and the Gamma Jeffreys divergence of fixed draws match hand values", async () => {
    // A: r = 5, p = 0.8 → mu = 20, var = 100 (upstream reports 25); B: r = 5, p = 0.5 → mu = 5, var = 10
    const S = 3;
    const genes = ["g"];
    const a = drawsSource({
      genes,
      r: new Float64Array(S).fill(5),
      p: new Float64Array(S).fill(0.8),
      nDraws: S,
    });
    const b = drawsSource({
      genes,
      r: new Float64Array(S).fill(5),
      p: new Float64Array(S).fill(0.5),
      nDraws: S,
    });
    const bio = await biologicalLevel(a, b, { nSamples: S });
    expect(bio.lfc.mean[0]).toBeCloseTo(Math.log(4), 12);
    expect(bio.lvr.mean[0]).toBeCloseTo(Math.log(10), 12);
    // same shape 5, rates 1/4 and 1: J = (a2−a1)(ln b1 − ln b2) + a1(b2−b1)/b1 + a2(b1−b2)/b2 = 5·3 + 5·(−0.75) = 11.25
    expect(bio.jeffreys.mean[0]).toBeCloseTo(11.25, 12);
    expect(gammaJeffreys(2, 3, 2, 3)).toBe(0);
    expect(gammaJeffreys(2, 3, 5, 0.5)).toBeCloseTo(gammaJeffreys(5, 0.5, 2, 3), 12);
  });
  it("compare(..., computeBiological) attaches it", async () => {
    const S = 20;
    const genes = ["a", "b", "c"];
    const r = Float64Array.from({ length: S * 3 }, (_, i) => 1 + (i % 3));
    const cmp = await compare(
      { genes, r, p: new Float64Array(S).fill(0.4), nDraws: S },
      { genes, r, p: new Float64Array(S).fill(0.6), nDraws: S },
      { nSamples: S, computeBiological: true },
    );
    expect(cmp.biological?.lfc.mean[0]).toBeCloseTo(Math.log(0.4 / 0.6 / (0.6 / 0.4)), 10);
  });
});
