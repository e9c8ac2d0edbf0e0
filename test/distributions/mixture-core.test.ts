import { key, sum, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import {
  CategoricalLogits,
  CategoricalProbs,
  GeometricProbs,
  Mixture,
  MixtureGeneral,
  MixtureSameFamily,
  NegativeBinomial2,
  Poisson,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";

const t64 = (v: number[], shape?: number[]) => tensor(new Float64Array(v), { shape: shape ?? [v.length] });
const lfact = (k: number) => {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
};
const poissonLp = (k: number, r: number) => k * Math.log(r) - r - lfact(k);
const lse = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
};

describe("MixtureSameFamily", () => {
  const w = [0.25, 0.75];
  const rates = [1.5, 9];
  const mix = new MixtureSameFamily(new CategoricalProbs(t64(w)), new Poisson(t64(rates)));

  it("logProb is logsumexp of log weights plus component log-pmfs", () => {
    const ks = [0, 1, 4, 9, 20];
    const got = mix.logProb(t64(ks)).dataSync();
    ks.forEach((k, i) => {
      const want = lse(w.map((wi, j) => Math.log(wi) + poissonLp(k, rates[j]!)));
      expect(Math.abs(got[i]! - want) / Math.abs(want)).toBeLessThan(1e-13);
    });
  });

  it("mean and variance by total expectation / variance", () => {
    const m = w[0]! * rates[0]! + w[1]! * rates[1]!;
    const second = w[0]! * (rates[0]! + rates[0]! ** 2) + w[1]! * (rates[1]! + rates[1]! ** 2);
    expect(mix.mean.item()).toBeCloseTo(m, 12);
    expect(mix.variance.item()).toBeCloseTo(second - m * m, 12);
  });

  it("batched components and vector events (Independent components)", () => {
    // 4 mixtures (batch), 3 components, genes as a 5-vector event
    const comp = new NegativeBinomial2(
      t64(
        Array.from({ length: 60 }, (_, i) => 1 + (i % 7)),
        [4, 3, 5],
      ),
      t64([2]),
    ).toEvent(1);
    const m2 = new MixtureSameFamily(new CategoricalLogits(t64([0, 1, -1])), comp);
    expect(m2.batchShape).toEqual([4]);
    expect(m2.eventShape).toEqual([5]);
    const x = m2.sample(key(3), [6]);
    expect(x.shape).toEqual([6, 4, 5]);
    expect(m2.logProb(x).shape).toEqual([6, 4]);
    expect(m2.mean.shape).toEqual([4, 5]);
  });

  it("gradients reach the weights and the component parameters", () => {
    const f = (p: Record<string, Tensor>) =>
      sum(new MixtureSameFamily(new CategoricalLogits(p.l!), new Poisson(p.r!)).logProb(t64([0, 3, 12])));
    const [, g] = valueAndGrad(f)({ l: t64([0.1, -0.3]), r: t64([1.5, 9]) });
    for (const k of ["l", "r"])
      for (const v of (g as Record<string, Tensor>)[k]!.dataSync()) expect(Number.isFinite(v)).toBe(true);
  });

  it("rejects a components batch whose last axis is not the number of categories", () => {
    expect(
      () => new MixtureSameFamily(new CategoricalProbs(t64([0.5, 0.5])), new Poisson(t64([1, 2, 3]))),
    ).toThrow(/rightmost batch axis/);
  });
});

describe("MixtureGeneral and the Mixture factory", () => {
  const w = [0.4, 0.6];
  const mix = new MixtureGeneral(new CategoricalProbs(t64(w)), [
    new Poisson(t64([3])),
    new GeometricProbs(t64([0.2])),
  ]);

  it("logProb is logsumexp over the listed components", () => {
    const ks = [0, 2, 7];
    const got = mix.logProb(t64(ks)).dataSync();
    ks.forEach((k, i) => {
      const want = lse([
        Math.log(w[0]!) + poissonLp(k, 3),
        Math.log(w[1]!) + k * Math.log(0.8) + Math.log(0.2),
      ]);
      expect(Math.abs(got[i]! - want) / Math.abs(want)).toBeLessThan(1e-13);
    });
  });

  it("mean and variance", () => {
    const mean = 0.4 * 3 + 0.6 * 4;
    const second = 0.4 * (3 + 9) + 0.6 * (20 + 16);
    expect(mix.mean.dataSync()[0]).toBeCloseTo(mean, 12);
    expect(mix.variance.dataSync()[0]).toBeCloseTo(second - mean * mean, 12);
  });

  it("factory dispatch and argument checks", () => {
    const c = new CategoricalProbs(t64([0.5, 0.5]));
    expect(Mixture(c, new Poisson(t64([1, 2])))).toBeInstanceOf(MixtureSameFamily);
    expect(Mixture(c, [new Poisson(1), new Poisson(2)])).toBeInstanceOf(MixtureGeneral);
    expect(() => new MixtureGeneral(c, [new Poisson(1)])).toThrow(/components/);
  });
});
