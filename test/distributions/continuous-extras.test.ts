import { readFileSync } from "node:fs";
import { key, type Tensor, tensor } from "@scribe/core";
import {
  Delta,
  ExpTransform,
  LogNormal,
  MultivariateNormal,
  Normal,
  StickBreakingTransform,
  TransformedDistribution,
  TruncatedNormal,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { fromRefParams, num } from "./continuous-refvec.js";

const f64 = (v: number[], shape: number[] = [v.length]) => tensor(new Float64Array(v), { shape });
const close = (a: number, b: number, rtol = 1e-12) =>
  Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= rtol * Math.abs(b);

interface MomentCase {
  dist: string;
  params: Record<string, unknown>;
  expected: { mean: unknown; variance: unknown };
}

describe("analytic mean / variance vs moments.json (mpmath)", () => {
  const cases = (
    JSON.parse(
      readFileSync(new URL("../fixtures/refvec/moments.json", import.meta.url), "utf8"),
    ) as MomentCase[]
  ).filter((c) => c.dist in fromRefParams);
  for (const c of cases) {
    it(`${c.dist} ${JSON.stringify(c.params)}`, () => {
      const d = fromRefParams[c.dist]!(c.params);
      const toArr = (v: unknown) => (Array.isArray(v) ? v.map(num) : [num(v)]);
      const m = Array.from(d.mean.dataSync());
      const v = Array.from(d.variance.dataSync());
      toArr(c.expected.mean).forEach(
        (e, i) => void expect(close(m[i]!, e), `mean ${m[i]} vs ${e}`).toBe(true),
      );
      toArr(c.expected.variance).forEach(
        (e, i) => void expect(close(v[i]!, e, 1e-11), `variance ${v[i]} vs ${e}`).toBe(true),
      );
    });
  }
});

describe("Delta, TransformedDistribution, MultivariateNormal parameterizations, TruncatedNormal tails", () => {
  it("Delta: draws are the atom; logProb 0 at the atom (+ logDensity), −∞ elsewhere", () => {
    const d = new Delta(f64([1, 2]), 0.5, 1);
    expect(d.eventShape).toEqual([2]);
    expect(d.sample(key(0), [3]).shape).toEqual([3, 2]);
    expect(Array.from(d.logProb(f64([1, 2, 1, 3], [2, 2])).dataSync())).toEqual([0.5, -Infinity]);
  });

  it("TransformedDistribution(Normal, Exp) equals LogNormal; StickBreaking grows the event", () => {
    const x = f64([0.3, 1, 4]);
    const td = new TransformedDistribution(new Normal(f64([0.2]), f64([0.7])), [new ExpTransform()]);
    const ln = new LogNormal(f64([0.2]), f64([0.7]));
    const a = td.logProb(x).dataSync();
    const b = ln.logProb(x).dataSync();
    for (let i = 0; i < 3; i++) expect(a[i]).toBeCloseTo(b[i]!, 12);
    expect(td.cdf(x).dataSync()[1]).toBeCloseTo(ln.cdf(x).dataSync()[1]!, 12);
    const sb = new TransformedDistribution(
      new Normal(f64([0, 0, 0]), 1).toEvent(1),
      new StickBreakingTransform(),
    );
    expect(sb.eventShape).toEqual([4]);
    const s = sb.sample(key(1), [5]);
    expect(s.shape).toEqual([5, 4]);
    expect(sb.logProb(s).shape).toEqual([5]);
  });

  it("MultivariateNormal: covariance, precision and scaleTril give the same density", () => {
    const cov = f64([2, 0.5, 0.5, 1], [2, 2]);
    const prec = f64([1 / 1.75, -0.5 / 1.75, -0.5 / 1.75, 2 / 1.75], [2, 2]);
    const loc = f64([1, -1]);
    const x = f64([0.3, 0.1, -2, 1], [2, 2]);
    const a = new MultivariateNormal(loc, { covarianceMatrix: cov });
    const b = new MultivariateNormal(loc, { precisionMatrix: prec });
    const c = new MultivariateNormal(loc, { scaleTril: a.scaleTril });
    const la = a.logProb(x).dataSync();
    for (const d of [b, c]) {
      const l = d.logProb(x).dataSync();
      expect(l[0]).toBeCloseTo(la[0]!, 12);
      expect(l[1]).toBeCloseTo(la[1]!, 12);
    }
    expect(Array.from(b.covarianceMatrix.dataSync()).map((v) => Math.round(v * 1e10) / 1e10)).toEqual([
      2, 0.5, 0.5, 1,
    ]);
    expect(() => new MultivariateNormal(loc, {})).toThrow(/exactly one/);
  });

  it("TruncatedNormal far in the upper tail stays finite and accurate", () => {
    const d = new TruncatedNormal(f64([0]), f64([1]), f64([30]), f64([Infinity]));
    // density at 30 of N(0,1) truncated to [30, ∞): φ(30)/Φ(−30) ≈ 30.0333 (Mills ratio), so log ≈ 3.4023
    const lp = d.logProb(f64([30])).item();
    expect(lp).toBeCloseTo(Math.log(30 + 1 / 30 - 2 / 30 ** 3 + 10 / 30 ** 5), 6);
    const m = (d.mean as Tensor).item();
    expect(m).toBeGreaterThan(30);
    expect(m).toBeLessThan(30.04);
    expect(num("nan")).toBeNaN();
  });
});
