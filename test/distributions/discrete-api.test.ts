import { tensor } from "@scribe/core";
import {
  Bernoulli,
  BernoulliLogits,
  BernoulliProbs,
  Binomial,
  BinomialLogits,
  Categorical,
  CategoricalLogits,
  CategoricalProbs,
  GammaPoisson,
  Geometric,
  GeometricLogits,
  GeometricProbs,
  NegativeBinomial,
  NegativeBinomial2,
  NegativeBinomialLogits,
  NegativeBinomialProbs,
  Poisson,
  ZeroInflatedDistribution,
  ZeroInflatedLogits,
  ZeroInflatedNegativeBinomial2,
  ZeroInflatedProbs,
  ZINB2Logits,
  ZINB2Probs,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";

const t64 = (v: number[]) => tensor(new Float64Array(v));

describe("factories", () => {
  it("pick the probs or logits class and demand exactly one", () => {
    expect(Bernoulli({ probs: 0.3 })).toBeInstanceOf(BernoulliProbs);
    expect(Bernoulli({ logits: 0.3 })).toBeInstanceOf(BernoulliLogits);
    expect(Categorical({ probs: t64([0.5, 0.5]) })).toBeInstanceOf(CategoricalProbs);
    expect(Categorical({ logits: t64([0, 0]) })).toBeInstanceOf(CategoricalLogits);
    expect(Binomial(3, { logits: 0 })).toBeInstanceOf(BinomialLogits);
    expect(Geometric({ probs: 0.5 })).toBeInstanceOf(GeometricProbs);
    expect(Geometric({ logits: 0 })).toBeInstanceOf(GeometricLogits);
    expect(NegativeBinomial(2, { probs: 0.5 })).toBeInstanceOf(NegativeBinomialProbs);
    expect(NegativeBinomial(2, { logits: 0 })).toBeInstanceOf(NegativeBinomialLogits);
    expect(ZeroInflatedDistribution(new Poisson(2), { gate: 0.1 })).toBeInstanceOf(ZeroInflatedProbs);
    expect(ZeroInflatedDistribution(new Poisson(2), { gateLogits: 0 })).toBeInstanceOf(ZeroInflatedLogits);
    expect(ZeroInflatedNegativeBinomial2(3, 2, { gate: 0.1 })).toBeInstanceOf(ZINB2Probs);
    expect(ZeroInflatedNegativeBinomial2(3, 2, { gateLogits: 0 })).toBeInstanceOf(ZINB2Logits);
    expect(() => Bernoulli({})).toThrow(/exactly one of `probs` or `logits`/);
    expect(() => NegativeBinomial(2, { probs: 0.5, logits: 0 })).toThrow(/exactly one/);
  });

  it("the NB family are GammaPoissons (NumPyro's class layout)", () => {
    expect(new NegativeBinomialProbs(2, 0.5)).toBeInstanceOf(GammaPoisson);
    expect(new NegativeBinomial2(2, 0.5)).toBeInstanceOf(GammaPoisson);
  });
});

describe("argument and value validation", () => {
  it("rejects parameters outside their constraints, naming them", () => {
    expect(() => new Poisson(t64([1, -1]))).toThrow(
      /Poisson: argument 'rate' must satisfy nonnegative, but rate\[1\] = -1/,
    );
    expect(() => new NegativeBinomialProbs(t64([2]), t64([1.5]))).toThrow(/probs/);
    expect(() => new NegativeBinomial2(t64([0]), t64([1]))).toThrow(/mean/);
    expect(() => new CategoricalProbs(t64([0.5, 0.6]))).toThrow(/simplex/);
    expect(() => new ZeroInflatedProbs(new Poisson(1), t64([-0.1]))).toThrow(/gate/);
    expect(() => new Poisson(t64([1, 2])).expand([3])).toThrow();
    expect(() => new BinomialLogits(t64([2.5]), t64([0]))).toThrow(/totalCount/);
  });

  it("out-of-support values give −∞ (validation on), not NaN", () => {
    const lp = new NegativeBinomial2(t64([3]), t64([2])).logProb(t64([-1, 1.5, 2])).dataSync();
    expect(lp[0]).toBe(-Infinity);
    expect(lp[1]).toBe(-Infinity);
    expect(Number.isFinite(lp[2]!)).toBe(true);
  });

  it("plain numbers compute in float32; float64 tensors stay float64", () => {
    expect(new Poisson(3).logProb(tensor([1])).dtype).toBe("float32");
    expect(new Poisson(t64([3])).logProb(t64([1])).dtype).toBe("float64");
  });
});

describe("cdf and entropy", () => {
  it("Poisson, Geometric and GammaPoisson cdf equal partial sums of the pmf", () => {
    const ks = Array.from({ length: 25 }, (_, i) => i);
    for (const d of [
      new Poisson(t64([3.5])),
      new GeometricProbs(t64([0.2])),
      new GeometricLogits(t64([-1])),
      new GammaPoisson(t64([2]), t64([0.5])),
    ]) {
      const pmf = d.logProb(t64(ks)).dataSync();
      const cdf = d.cdf(t64(ks)).dataSync();
      let acc = 0;
      ks.forEach((k, i) => {
        acc += Math.exp(pmf[i]!);
        expect(Math.abs(cdf[i]! - acc), `${d.constructor.name} at ${k}`).toBeLessThan(1e-12);
      });
      expect(d.cdf(t64([-1])).dataSync()[0]).toBe(0);
    }
  });

  it("Bernoulli cdf is 0, 1 − p, 1", () => {
    expect(Array.from(new BernoulliProbs(t64([0.3])).cdf(t64([-0.5, 0, 0.5, 1, 2])).dataSync())).toEqual([
      0, 0.7, 0.7, 1, 1,
    ]);
  });

  it("entropy: Bernoulli and Categorical, probs and logits forms agree with −Σ p log p", () => {
    const p = 0.3;
    const h = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
    expect(new BernoulliProbs(t64([p])).entropy().item()).toBeCloseTo(h, 14);
    expect(new BernoulliLogits(t64([Math.log(p / (1 - p))])).entropy().item()).toBeCloseTo(h, 14);
    const ps = [0.1, 0.2, 0.7];
    const hc = -ps.reduce((a, q) => a + q * Math.log(q), 0);
    expect(new CategoricalProbs(t64(ps)).entropy().item()).toBeCloseTo(hc, 14);
    expect(new CategoricalLogits(t64(ps.map(Math.log))).entropy().item()).toBeCloseTo(hc, 14);
  });
});

describe("zero inflation", () => {
  it("logits and probs forms agree (generic and ZINB2)", () => {
    const ks = t64([0, 1, 3, 10]);
    for (const g of [0.05, 0.3, 0.9]) {
      const l = Math.log(g / (1 - g));
      const a = new ZeroInflatedProbs(new Poisson(t64([2.5])), t64([g])).logProb(ks).dataSync();
      const b = new ZeroInflatedLogits(new Poisson(t64([2.5])), t64([l])).logProb(ks).dataSync();
      const c = ZeroInflatedNegativeBinomial2(t64([4]), t64([1.5]), { gate: t64([g]) })
        .logProb(ks)
        .dataSync();
      const d = ZeroInflatedNegativeBinomial2(t64([4]), t64([1.5]), { gateLogits: t64([l]) })
        .logProb(ks)
        .dataSync();
      for (let i = 0; i < 4; i++) {
        expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-13);
        expect(Math.abs(c[i]! - d[i]!)).toBeLessThan(1e-13);
      }
    }
  });

  it("the pmf sums to one", () => {
    const ks = t64(Array.from({ length: 400 }, (_, i) => i));
    const lp = ZeroInflatedNegativeBinomial2(t64([10]), t64([2]), { gate: t64([0.3]) })
      .logProb(ks)
      .dataSync();
    expect(Math.abs(Array.from(lp).reduce((s, v) => s + Math.exp(v), 0) - 1)).toBeLessThan(1e-12);
  });
});
