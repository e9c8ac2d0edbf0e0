/**
 * The parametric method in every log-ratio reference (issue 14): Δ's moments in ALR, ILR
 * (Helmert) and IQLR coordinates against (1) the empirical moments of the same Gaussian ALR
 * draws mapped draw by draw, and (2) dense matrix algebra A·Σ̃·Aᵀ with A built from its
 * definition (helmertBasis for ILR), which checks the O(D) closed forms of the parametric map;
 * and the IQLR reference set chosen from the fits equals the one chosen from the draws.
 */
import { key } from "@scribe/core";
import {
  fitLogisticNormalAlr,
  GammaStream,
  helmertBasis,
  interQuartileSet,
  type LogisticNormalFit,
  LogRatioPlan,
  ParametricPosterior,
} from "@scribe/models/de/bayesian/index.js";
import { describe, expect, it } from "vitest";

const p = 7; // ALR dims: D = 8 parts
const D = p + 1;
const S = 6000;
const genes = Array.from({ length: D }, (_, i) => `g${i}`);

/** Gaussian ALR draws with a rank-2 factor structure and a per-coordinate shift. */
function gaussianAlr(seed: number, shift: number): Float64Array {
  const s = new GammaStream(key(seed));
  const W = Float64Array.from({ length: p * 2 }, (_, i) => 0.4 * Math.sin(i + seed));
  const Z = new Float64Array(S * p);
  for (let n = 0; n < S; n++) {
    const f0 = s.normal();
    const f1 = s.normal();
    for (let j = 0; j < p; j++)
      Z[n * p + j] =
        shift * j * 0.1 * (j % 3 === 0 ? -1 : 1) +
        W[j * 2]! * f0 +
        W[j * 2 + 1]! * f1 +
        Math.sqrt(0.01 + 0.05 * j) * s.normal();
  }
  return Z;
}

/** Output coordinates of `plan` for every draw of Z (rows (z, 0)): [S, nOut]. */
function mapDraws(Z: Float64Array, plan: LogRatioPlan): Float64Array {
  const m = plan.nOut;
  const out = new Float64Array(S * m);
  const row = new Float64Array(D);
  for (let n = 0; n < S; n++) {
    row.set(Z.subarray(n * p, (n + 1) * p));
    row[p] = 0;
    plan.apply(row, out, n * m);
  }
  return out;
}

function columnMoments(x: Float64Array, m: number) {
  const n = x.length / m;
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mean[j]! += x[i * m + j]! / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) variance[j]! += (x[i * m + j]! - mean[j]!) ** 2 / (n - 1);
  return { mean, variance };
}

/** The covariance of the padded log-abundances (z, 0) of a fit: D × D. */
function paddedCovariance(f: LogisticNormalFit): Float64Array {
  const Dp = f.nParts;
  const q = Dp - 1;
  const C = new Float64Array(Dp * Dp);
  for (let i = 0; i < q; i++)
    for (let j = 0; j < q; j++) {
      let s = i === j ? f.d[i]! : 0;
      for (let k = 0; k < f.rank; k++) s += f.W[i * f.rank + k]! * f.W[j * f.rank + k]!;
      C[i * Dp + j] = s;
    }
  return C;
}

/** Dense A·Σ·Aᵀ diagonal and A·μ̃ for an m × D matrix A. */
function denseMoments(A: Float64Array, m: number, f: LogisticNormalFit) {
  const Dp = f.nParts;
  const C = paddedCovariance(f);
  const mu = new Float64Array(Dp);
  mu.set(f.mu);
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < Dp; i++) mean[r]! += A[r * Dp + i]! * mu[i]!;
    for (let i = 0; i < Dp; i++)
      for (let j = 0; j < Dp; j++) variance[r]! += A[r * Dp + i]! * C[i * Dp + j]! * A[r * Dp + j]!;
  }
  return { mean, variance };
}

const Za = gaussianAlr(1, 1);
const Zb = gaussianAlr(2, -1);
// full rank: each fit's covariance is the sample covariance of its draws, so the parametric
// per-side variances equal the sample variances of the mapped draws exactly (up to rounding)
const fa = fitLogisticNormalAlr(Float64Array.from(Za), S, p, { rank: p, genes, hasOther: false });
const fb = fitLogisticNormalAlr(Float64Array.from(Zb), S, p, { rank: p, genes, hasOther: false });

describe("parametric Δ in ALR, ILR and IQLR coordinates", () => {
  for (const reference of ["clr", "alr", "ilr", "iqlr"] as const)
    it(`${reference}: per-coordinate mean and variance equal the moments of the mapped draws`, () => {
      const par = new ParametricPosterior(fa, fb, { reference });
      const plan = par.plan;
      if (reference === "iqlr") {
        // the empirical method's set: CLR variance over all draws of both sides within [Q1, Q3]
        const clr = new LogRatioPlan(genes, false, "clr");
        const both = new Float64Array(2 * S * D);
        both.set(mapDraws(Za, clr));
        both.set(mapDraws(Zb, clr), S * D);
        const set = interQuartileSet(columnMoments(both, D).variance);
        expect([...plan.refSet]).toEqual([...set]);
        expect(set.length).toBeGreaterThan(0);
        expect(set.length).toBeLessThan(D);
      }
      const m = plan.nOut;
      expect(par.names).toEqual(plan.names);
      const ya = mapDraws(Za, plan);
      const yb = mapDraws(Zb, plan);
      const va = columnMoments(ya, m).variance;
      const vb = columnMoments(yb, m).variance;
      const delta = ya.map((v, i) => v - yb[i]!);
      const dm = columnMoments(delta, m);
      for (let j = 0; j < m; j++) {
        expect(par.mean[j]).toBeCloseTo(dm.mean[j]!, 10); // both are sample means of the same draws
        // per-side variances: exact up to float64 rounding of the SVD (1e−8 relative)
        expect(par.sd[j]! ** 2 / (va[j]! + vb[j]!)).toBeCloseTo(1, 8);
        // paired Δ: the sides' sample cross-covariance is O(1/√S) ≈ 1.3 %: within ±5 %
        expect(Math.abs(par.sd[j]! / Math.sqrt(dm.variance[j]!) - 1)).toBeLessThan(0.05);
      }
      // a contrast of the output coordinates: its draws' moments (±5 %, as above)
      const c = Float64Array.from({ length: m }, (_, j) => Math.cos(j + 0.5));
      const x = new Float64Array(S);
      for (let n = 0; n < S; n++) for (let j = 0; j < m; j++) x[n]! += c[j]! * delta[n * m + j]!;
      const xm = columnMoments(x, 1);
      const post = par.contrast(c);
      expect(post.mean).toBeCloseTo(xm.mean[0]!, 10);
      expect(Math.abs(post.sd / Math.sqrt(xm.variance[0]!) - 1)).toBeLessThan(0.05);
    });

  it("low rank: ALR / ILR sds stay within 20 % of the full-rank ones on a rank-2 truth", () => {
    const la = fitLogisticNormalAlr(Float64Array.from(Za), S, p, { rank: 2, genes, hasOther: false });
    const lb = fitLogisticNormalAlr(Float64Array.from(Zb), S, p, { rank: 2, genes, hasOther: false });
    for (const reference of ["alr", "ilr"] as const) {
      const full = new ParametricPosterior(fa, fb, { reference });
      const low = new ParametricPosterior(la, lb, { reference });
      for (let j = 0; j < full.sd.length; j++)
        expect(Math.abs(low.sd[j]! / full.sd[j]! - 1)).toBeLessThan(0.2);
    }
  });
});

describe("the parametric map against dense matrix algebra (A Σ̃ Aᵀ)", () => {
  // a fit with an "other" part: 6 genes + other; A from the definitions, not from LogRatioPlan
  const q = 6;
  const Dp = q + 1;
  const names = genes.slice(0, q);
  const make = (seed: number) => {
    const s = new GammaStream(key(seed));
    return fitLogisticNormalAlr(
      Float64Array.from({ length: 400 * q }, () => s.normal() * 0.3 + 0.1 * seed),
      400,
      q,
      { rank: 3, genes: names, hasOther: true },
    );
  };
  const ga = make(3);
  const gb = make(4);

  function check(par: ParametricPosterior, A: Float64Array, m: number) {
    const da = denseMoments(A, m, ga);
    const db = denseMoments(A, m, gb);
    expect(par.mean.length).toBe(m);
    for (let r = 0; r < m; r++) {
      expect(par.mean[r]).toBeCloseTo(da.mean[r]! - db.mean[r]!, 12);
      expect(par.sd[r]! ** 2).toBeCloseTo(da.variance[r]! + db.variance[r]!, 12);
    }
    // contrast c over the outputs: weights Aᵀc over the parts
    const c = Float64Array.from({ length: m }, (_, j) => (j % 2 ? 1 : -0.5) * (j + 1));
    const v = new Float64Array(Dp);
    for (let r = 0; r < m; r++) for (let i = 0; i < Dp; i++) v[i]! += c[r]! * A[r * Dp + i]!;
    const cv = (f: LogisticNormalFit) => {
      const C = paddedCovariance(f);
      let s = 0;
      for (let i = 0; i < Dp; i++) for (let j = 0; j < Dp; j++) s += v[i]! * C[i * Dp + j]! * v[j]!;
      return s;
    };
    const mu = (f: LogisticNormalFit) => v.reduce((s, vi, i) => s + vi * (i < q ? f.mu[i]! : 0), 0);
    const post = par.contrast(c);
    expect(post.mean).toBeCloseTo(mu(ga) - mu(gb), 12);
    expect(post.sd ** 2).toBeCloseTo(cv(ga) + cv(gb), 12);
  }

  it("ILR: the parametric map is the Helmert basis H (rows orthonormal, ⊥ 1) applied to the log-abundances", () => {
    const H = helmertBasis(Dp);
    // with an "other" part the coordinate contrasting "other" with the genes is dropped
    const m = q - 1;
    const par = new ParametricPosterior(ga, gb, { reference: "ilr" });
    expect(par.names).toEqual(names.slice(1).map((g) => `ilr_${g}`));
    check(par, H.subarray(0, m * Dp), m);
  });

  it("CLR, ALR (against gene 2) and an explicit reference set, each with its matrix", () => {
    const clr = new Float64Array(q * Dp);
    for (let j = 0; j < q; j++) for (let i = 0; i < Dp; i++) clr[j * Dp + i] = (i === j ? 1 : 0) - 1 / Dp;
    check(new ParametricPosterior(ga, gb, { reference: "clr" }), clr, q);

    const keep = [0, 1, 3, 4, 5];
    const alr = new Float64Array(keep.length * Dp);
    keep.forEach((g, r) => {
      alr[r * Dp + g] = 1;
      alr[r * Dp + 2] = -1;
    });
    const parAlr = new ParametricPosterior(ga, gb, { reference: "alr", alrReference: "g2" });
    expect(parAlr.names).toEqual(keep.map((g) => names[g]));
    check(parAlr, alr, keep.length);

    const set = [1, 4];
    const ref = new Float64Array(q * Dp);
    for (let j = 0; j < q; j++) {
      ref[j * Dp + j] = 1;
      for (const s of set) ref[j * Dp + s]! -= 1 / set.length;
    }
    check(new ParametricPosterior(ga, gb, { reference: { genes: ["g1", "g4"] } }), ref, q);
  });

  it("bad references are errors that name them", () => {
    expect(() => new ParametricPosterior(ga, gb, { reference: "alr", alrReference: "nope" })).toThrow(
      /alrReference "nope"/,
    );
    expect(() => new ParametricPosterior(ga, gb, { reference: { genes: ["zz"] } })).toThrow(/"zz"/);
  });
});
