/**
 * Agreement with R's loo 2.5.1 on the fixture matrices of test/fixtures/loo (written by
 * bench/r/loo-reference.R): PSIS-LOO, WAIC, relative efficiency, loo_compare and the model
 * weights. Tolerances: elpd and p 1e-6 relative and k̂ 1e-6 absolute (loo is deterministic
 * and both sides are float64, so the slack only covers the 15-digit JSON and summation
 * order); stacking 1e-4 (loo's constrOptim stops at a barrier-method tolerance, we solve to
 * convergence); pseudo-BMA+ within its Monte Carlo error (independent bootstrap draws).
 */
import { readFileSync } from "node:fs";
import {
  looCompare,
  paretoKThreshold,
  pseudoBmaWeights,
  psisLoo,
  psisSmooth,
  psisTailLength,
  relativeEff,
  stackingWeights,
  toLogLikMatrix,
  waic,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

type Num = number | "Inf" | "-Inf" | "NaN";
const num = (v: Num): number => (v === "Inf" ? Infinity : v === "-Inf" ? -Infinity : v === "NaN" ? NaN : v);

interface LooCase {
  description: string;
  S: number;
  n: number;
  ll: number[];
  r_eff: number[];
  chain_id?: number[];
  loo: {
    estimates: { elpd_loo: number; p_loo: number; looic: number };
    se: { elpd_loo: number; p_loo: number; looic: number };
    elpd_loo: number[];
    p_loo: number[];
    pareto_k: Num[];
    n_eff: Num[];
  };
  waic: {
    estimates: { elpd_waic: number; p_waic: number; waic: number };
    se: { elpd_waic: number; p_waic: number; waic: number };
    elpd_waic: number[];
    p_waic: number[];
  };
}

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/loo/${name}.json`, import.meta.url), "utf8")) as T;

function expectRel(actual: number, expected: number, rel: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  if (!(err <= rel))
    throw new Error(
      `${what}: ${actual} vs loo ${expected} (relative error ${err.toExponential(2)} > ${rel})`,
    );
}

function expectAbs(actual: number, expected: number, tol: number, what: string): void {
  if (actual === expected) return;
  const err = Math.abs(actual - expected);
  if (!(err <= tol))
    throw new Error(
      `${what}: ${actual} vs loo ${expected} (absolute error ${err.toExponential(2)} > ${tol})`,
    );
}

const CASES = ["normal", "heavy-tail", "heavy-tail-t", "ties", "chains", "small-s"] as const;

describe("PSIS-LOO and WAIC agree with R loo 2.5.1", () => {
  for (const name of CASES) {
    it(name, () => {
      const c = fixture<LooCase>(name);
      const ll = toLogLikMatrix({ nDraws: c.S, nObs: c.n, data: Float64Array.from(c.ll) });
      const rEff = c.chain_id ? relativeEff(ll, { chainIds: c.chain_id }) : Float64Array.from(c.r_eff);
      if (c.chain_id)
        for (let i = 0; i < c.n; i++) expectRel(rEff[i]!, c.r_eff[i]!, 1e-6, `${name}: r_eff[${i}]`);
      const res = psisLoo(ll, { rEff });
      expectRel(res.elpdLoo.estimate, c.loo.estimates.elpd_loo, 1e-6, `${name}: elpd_loo`);
      expectRel(res.pLoo.estimate, c.loo.estimates.p_loo, 1e-6, `${name}: p_loo`);
      expectRel(res.looic.estimate, c.loo.estimates.looic, 1e-6, `${name}: looic`);
      expectRel(res.elpdLoo.se, c.loo.se.elpd_loo, 1e-6, `${name}: se(elpd_loo)`);
      expectRel(res.pLoo.se, c.loo.se.p_loo, 1e-6, `${name}: se(p_loo)`);
      for (let i = 0; i < c.n; i++) {
        expectRel(res.pointwise.elpdLoo[i]!, c.loo.elpd_loo[i]!, 1e-6, `${name}: elpd_loo[${i}]`);
        expectAbs(
          res.pointwise.pLoo[i]!,
          c.loo.p_loo[i]!,
          1e-6 * Math.max(1, Math.abs(c.loo.p_loo[i]!)),
          `${name}: p_loo[${i}]`,
        );
        expectAbs(res.pointwise.paretoK[i]!, num(c.loo.pareto_k[i]!), 1e-6, `${name}: k[${i}]`);
        expectRel(res.pointwise.nEff[i]!, num(c.loo.n_eff[i]!), 1e-6, `${name}: n_eff[${i}]`);
      }
      const w = waic(ll);
      expectRel(w.elpdWaic.estimate, c.waic.estimates.elpd_waic, 1e-6, `${name}: elpd_waic`);
      expectRel(w.pWaic.estimate, c.waic.estimates.p_waic, 1e-6, `${name}: p_waic`);
      expectRel(w.waic.estimate, c.waic.estimates.waic, 1e-6, `${name}: waic`);
      expectRel(w.elpdWaic.se, c.waic.se.elpd_waic, 1e-6, `${name}: se(elpd_waic)`);
      for (let i = 0; i < c.n; i++)
        expectRel(w.pointwise.pWaic[i]!, c.waic.p_waic[i]!, 1e-6, `${name}: p_waic[${i}]`);
    });
  }

  it("the heavy-tailed fixtures exercise k̂ above the threshold and the infinite k̂ of constant tails", () => {
    const heavy = fixture<LooCase>("heavy-tail");
    const ties = fixture<LooCase>("ties");
    expect(heavy.loo.pareto_k.some((k) => num(k) > 0.7)).toBe(true);
    expect(ties.loo.pareto_k.includes("Inf")).toBe(true);
    const res = psisLoo({ nDraws: heavy.S, nObs: heavy.n, data: Float64Array.from(heavy.ll) });
    expect(res.kThreshold).toBeCloseTo(Math.min(1 - 1 / Math.log10(heavy.S), 0.7), 12);
    expect(res.nBadK).toBe(heavy.loo.pareto_k.filter((k) => num(k) > res.kThreshold).length);
    expect(res.diagnostics.reduce((a, r) => a + r.count, 0)).toBe(heavy.n);
  });
});

describe("closed forms", () => {
  it("tail length and the sample-size-dependent threshold (JMLR 2024)", () => {
    expect(psisTailLength(4000, 1)).toBe(190); // ⌈3·√4000⌉ = ⌈189.7⌉
    expect(psisTailLength(100, 1)).toBe(20); // 0.2·S
    expect(psisTailLength(1000, 0.25)).toBe(190); // ⌈3·√4000⌉
    expect(paretoKThreshold(100)).toBeCloseTo(0.5, 15);
    expect(paretoKThreshold(1000)).toBeCloseTo(2 / 3, 15);
    expect(paretoKThreshold(1e6)).toBe(0.7);
  });

  it("truncation rules: min(smoothed, max raw) as loo, or min(smoothed, S^(3/4)·mean smoothed)", () => {
    const c = fixture<LooCase>("heavy-tail");
    const ll = toLogLikMatrix({ nDraws: c.S, nObs: c.n, data: Float64Array.from(c.ll) });
    const kmax = c.loo.pareto_k.map(num).reduce((best, k, i, ks) => (k > ks[best]! ? i : best), 0);
    let bindsAtKmax = 0;
    for (let i = 0; i < c.n; i++) {
      const neg = Float64Array.from({ length: c.S }, (_, s) => -ll.data[s * c.n + i]!);
      const none = psisSmooth(neg, 1, "none").logWeights;
      const maxRaw = Math.max(...neg);
      let lse = -Infinity;
      for (const v of none)
        lse = lse === -Infinity ? v : Math.max(lse, v) + Math.log1p(Math.exp(-Math.abs(lse - v)));
      const cap34 = lse - Math.log(c.S) + 0.75 * Math.log(c.S);
      const a = psisSmooth(neg, 1, "max-raw").logWeights;
      const b = psisSmooth(neg, 1, "s34-mean").logWeights;
      let binds = 0;
      for (let s = 0; s < c.S; s++) {
        expect(a[s]).toBeCloseTo(Math.min(none[s]!, maxRaw), 12);
        expect(b[s]).toBeCloseTo(Math.min(none[s]!, cap34), 12);
        if (none[s]! > cap34) binds++;
      }
      if (i === kmax) bindsAtKmax = binds;
    }
    expect(bindsAtKmax).toBeGreaterThan(0); // at k̂ > 1 the S^(3/4) cap binds
  });

  it("identical draws: elpd_loo = lpd = ℓ and p = 0", () => {
    const row = [-1.5, -0.25, -3];
    const res = psisLoo(Array.from({ length: 50 }, () => row));
    for (let i = 0; i < 3; i++) expect(res.pointwise.elpdLoo[i]).toBeCloseTo(row[i]!, 12);
    expect(res.pLoo.estimate).toBeCloseTo(0, 12);
  });

  it("bad input names the entry", () => {
    expect(() =>
      psisLoo([
        [0, Number.NaN],
        [0, 1],
      ]),
    ).toThrow(/draw 0, observation 1 is NaN/);
    expect(() => psisLoo([[0, 1]])).toThrow(/at least 2 draws/);
    expect(() => psisLoo([[0], [1]], { rEff: [0] })).toThrow(/rEff\[0\] must be a positive/);
  });
});

interface WeightsCase {
  models: string[];
  lpd: number[][];
  compare: { model: string[]; elpd_diff: number[]; se_diff: number[] };
  weights: { stacking: number[]; pseudobma: number[]; pseudobma_bb: number[] };
  weights_two: { stacking: number[]; pseudobma: number[]; pseudobma_bb: number[] };
  weights_mixed: { stacking: number[]; pseudobma: number[]; pseudobma_bb: number[] };
  lpd_interior: number[][];
  weights_interior: { stacking: number[]; pseudobma: number[]; pseudobma_bb: number[] };
}

describe("looCompare and model weights agree with loo", () => {
  const c = fixture<WeightsCase>("weights");

  it("loo_compare: order, elpd_diff, se_diff", () => {
    const table = looCompare(Object.fromEntries(c.models.map((m, k) => [m, { elpd: c.lpd[k]! }])));
    expect(table.map((r) => r.name)).toEqual(c.compare.model);
    table.forEach((r, j) => {
      expectAbs(
        r.elpdDiff,
        c.compare.elpd_diff[j]!,
        1e-6 * Math.max(1, Math.abs(c.compare.elpd_diff[j]!)),
        `elpd_diff ${r.name}`,
      );
      expectAbs(
        r.seDiff,
        c.compare.se_diff[j]!,
        1e-6 * Math.max(1, c.compare.se_diff[j]!),
        `se_diff ${r.name}`,
      );
    });
  });

  const sets: [string, number[][], WeightsCase["weights"]][] = [
    ["three models", c.lpd, c.weights],
    ["two models", c.lpd.slice(0, 2), c.weights_two],
    [
      "two models, shifted bulk",
      [c.lpd[0]!, c.lpd[1]!.map((v, i) => v + (i < 27 ? -0.3 : 0))],
      c.weights_mixed,
    ],
    ["interior optimum", c.lpd_interior, c.weights_interior],
  ];
  for (const [label, lpd, ref] of sets) {
    it(`stacking and pseudo-BMA: ${label}`, async () => {
      const w = stackingWeights(lpd);
      w.forEach((v, k) => void expectAbs(v, ref.stacking[k]!, 1e-4, `${label}: stacking w[${k}]`));
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const plain = await pseudoBmaWeights(lpd, { bayesianBootstrap: false });
      plain.forEach((v, k) => void expectAbs(v, ref.pseudobma[k]!, 1e-9, `${label}: pseudo-BMA w[${k}]`));
      // Bayesian bootstrap: different random draws from loo's; 4000 replicates each, so the
      // two means differ by a few times sd(w_b)/√4000 ≤ 0.5/63
      const bb = await pseudoBmaWeights(lpd, { nBootstrap: 4000, seed: 3 });
      bb.forEach((v, k) => void expectAbs(v, ref.pseudobma_bb[k]!, 0.03, `${label}: pseudo-BMA+ w[${k}]`));
      const again = await pseudoBmaWeights(lpd, { nBootstrap: 4000, seed: 3 });
      expect(Array.from(again)).toEqual(Array.from(bb));
    }, 180_000);
  }

  it("stacking is invariant to per-observation shifts (cells with elpd of −10³ do not underflow)", () => {
    const shifted = c.lpd_interior.map((l) => l.map((v, i) => v - 1000 - 10 * i));
    const w = stackingWeights(shifted);
    w.forEach((v, k) => void expectAbs(v, c.weights_interior.stacking[k]!, 1e-4, `shifted stacking w[${k}]`));
  });
});
