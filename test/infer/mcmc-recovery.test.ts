import { key, plate, sample, type Tensor, tensor } from "@scribe/core";
import { Gamma, Normal, Poisson, Uniform } from "@scribe/distributions";
import {
  bulkEss,
  effectiveSampleSize,
  HMC,
  MCMC,
  NUTS,
  type PotentialGradFn,
  rankNormalizedSplitRhat,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

/** Long statistical runs; the default suite keeps a seeded fast subset. */
const SLOW = process.env.SCRIBE_SLOW === "1";

/** Standardized errors of the posterior mean and variance of component j, in Monte Carlo standard errors. */
function mcErrors(chains: Float64Array[], dim: number, j: number, mean: number, variance: number) {
  const cs = chains.map((c) => Float64Array.from({ length: c.length / dim }, (_, i) => c[i * dim + j]!));
  const all = cs.flatMap((c) => Array.from(c));
  const m = all.reduce((a, b) => a + b, 0) / all.length;
  const v = all.reduce((a, b) => a + (b - m) ** 2, 0) / (all.length - 1);
  const ess = effectiveSampleSize(cs);
  // The variance's Monte Carlo error uses the ESS of the squared deviations.
  const ess2 = effectiveSampleSize(cs.map((c) => c.map((x) => (x - mean) ** 2)));
  // Var of the sample mean ≈ σ²/ESS; of the sample variance ≈ 2σ⁴/ESS₂ (Gaussian).
  return {
    meanErr: (m - mean) / Math.sqrt(variance / ess),
    varErr: (v - variance) / (variance * Math.sqrt(2 / ess2)),
    ess: bulkEss(cs),
    rhat: rankNormalizedSplitRhat(cs),
  };
}

function quadratic(prec: Float64Array, dim: number): PotentialGradFn {
  return (x, g) => {
    let s = 0;
    for (let i = 0; i < dim; i++) {
      let t = 0;
      for (let j = 0; j < dim; j++) t += prec[i * dim + j]! * x[j]!;
      g[i] = t;
      s += 0.5 * x[i]! * t;
    }
    return s;
  };
}

describe("recovery of known posteriors", () => {
  // Correlated 2-D Gaussian: sds (1, 2), correlation 0.9.
  const cov = [1, 1.8, 1.8, 4];
  const det = cov[0]! * cov[3]! - cov[1]! * cov[2]!;
  const prec = new Float64Array([cov[3]! / det, -cov[1]! / det, -cov[2]! / det, cov[0]! / det]);

  it.each([false, true])("correlated 2-D Gaussian, NUTS, dense mass %s", async (dense) => {
    const mcmc = new MCMC(new NUTS({ potentialFnGrad: quadratic(prec, 2), dim: 2, denseMass: dense }), {
      numWarmup: 500,
      numSamples: 1000,
      numChains: 4,
      progressBar: false,
    });
    await mcmc.run(key(dense ? 11 : 10));
    const chains = mcmc.getSiteDraws()[0]!.chains as Float64Array[];
    for (const j of [0, 1]) {
      const e = mcErrors(chains, 2, j, 0, cov[3 * j]!);
      expect(Math.abs(e.meanErr)).toBeLessThan(4);
      expect(Math.abs(e.varErr)).toBeLessThan(4);
      expect(e.rhat).toBeLessThan(1.02);
      expect(e.ess).toBeGreaterThan(dense ? 1500 : 400);
    }
    const ex = mcmc.getExtraFields();
    expect(ex.diverging.sum().item()).toBe(0);
    expect(mcmc.getSamples(true).params!.shape).toEqual([4, 1000, 2]);
  });

  it.runIf(SLOW)(
    "100-D Gaussian with scales from 0.01 to 100 (dense and diagonal mass adapt to them)",
    async () => {
      const dim = 100;
      const scales = Float64Array.from({ length: dim }, (_, i) => 10 ** (-2 + (4 * i) / (dim - 1)));
      const pot: PotentialGradFn = (x, g) => {
        let s = 0;
        for (let i = 0; i < dim; i++) {
          const p = 1 / scales[i]! ** 2;
          g[i] = p * x[i]!;
          s += 0.5 * p * x[i]! ** 2;
        }
        return s;
      };
      for (const dense of [true, false]) {
        const mcmc = new MCMC(new NUTS({ potentialFnGrad: pot, dim, denseMass: dense }), {
          numWarmup: 1000,
          numSamples: 1000,
          progressBar: false,
        });
        await mcmc.run(key(20));
        const chains = mcmc.getSiteDraws()[0]!.chains as Float64Array[];
        let worstMean = 0;
        let worstVar = 0;
        for (let j = 0; j < dim; j++) {
          const e = mcErrors(chains, dim, j, 0, scales[j]! ** 2);
          worstMean = Math.max(worstMean, Math.abs(e.meanErr));
          worstVar = Math.max(worstVar, Math.abs(e.varErr));
        }
        // 100 components: the largest of 100 standard normals rarely exceeds 4.
        expect(worstMean).toBeLessThan(4.5);
        expect(worstVar).toBeLessThan(4.5);
        expect(mcmc.getExtraFields().treeDepth.max().item()).toBeLessThan(10);
      }
    },
  );

  it("static HMC recovers a correlated Gaussian", async () => {
    const mcmc = new MCMC(
      new HMC({ potentialFnGrad: quadratic(prec, 2), dim: 2, denseMass: true, trajectoryLength: 2 }),
      {
        numWarmup: 500,
        numSamples: 2000,
        progressBar: false,
      },
    );
    await mcmc.run(key(3));
    const chains = mcmc.getSiteDraws()[0]!.chains as Float64Array[];
    for (const j of [0, 1]) {
      const e = mcErrors(chains, 2, j, 0, cov[3 * j]!);
      expect(Math.abs(e.meanErr)).toBeLessThan(4);
      expect(Math.abs(e.varErr)).toBeLessThan(4);
    }
  });

  it("a tensor potential (valueAndGrad path) gives a standard normal", async () => {
    const mcmc = new MCMC(new NUTS({ potentialFn: (x: Tensor) => x.square().sum().mul(0.5) }), {
      numWarmup: 200,
      numSamples: 400,
      progressBar: false,
    });
    await mcmc.runWith(key(4), { initParams: new Float64Array([3, -3]) });
    const chains = mcmc.getSiteDraws()[0]!.chains as Float64Array[];
    for (const j of [0, 1]) {
      const e = mcErrors(chains, 2, j, 0, 1);
      expect(Math.abs(e.meanErr)).toBeLessThan(4);
      expect(Math.abs(e.varErr)).toBeLessThan(4);
    }
  });

  it("conjugate Normal–Normal and Gamma–Poisson models through the effect runtime", async () => {
    const y = tensor([1.2, 0.4, 2.5, 1.9, 0.8, 1.1, 2.2, 1.5, 0.3, 1.7], { dtype: "float64" });
    const counts = tensor([3, 5, 2, 4, 6, 3, 2, 5], { dtype: "float64" });
    const model = () => {
      const mu = sample("mu", new Normal(0, 10));
      const lam = sample("lam", new Gamma(2, 0.5));
      plate("data", 10, () => sample("y", new Normal(mu, 2), { obs: y }));
      plate("counts", 8, () => sample("c", new Poisson(lam), { obs: counts }));
    };
    const mcmc = new MCMC(new NUTS({ model }), { numWarmup: 300, numSamples: 600, progressBar: false });
    await mcmc.run(key(5));
    // Normal–Normal: precision 1/100 + 10/4, mean (Σy/4)/precision.
    const pNN = 1 / 100 + 10 / 4;
    const sumY = 13.6;
    const mNN = sumY / 4 / pNN;
    // Gamma(2, rate 0.5) prior with 8 Poisson counts summing to 30: Gamma(32, rate 8.5).
    const [a, b] = [32, 8.5];
    const draws = mcmc.getSiteDraws();
    const mu = mcErrors(draws.find((d) => d.name === "mu")!.chains as Float64Array[], 1, 0, mNN, 1 / pNN);
    const lam = mcErrors(
      draws.find((d) => d.name === "lam")!.chains as Float64Array[],
      1,
      0,
      a / b,
      a / b ** 2,
    );
    for (const e of [mu, lam]) {
      expect(Math.abs(e.meanErr)).toBeLessThan(4);
      expect(Math.abs(e.varErr)).toBeLessThan(5);
    }
    const s = mcmc.getSamples();
    expect(s.lam!.min().item()).toBeGreaterThan(0);
    expect(Object.keys(s)).toEqual(["mu", "lam"]);
  });

  it("a support that depends on another latent (x ~ Uniform(0, s), s ~ Gamma(2, 1)) is transformed per draw", async () => {
    // Marginally x ~ Exponential(1): p(x) = ∫_x^∞ s e^{-s} / s ds = e^{-x}; s ~ Gamma(2, 1).
    const model = () => {
      const s = sample("s", new Gamma(2, 1));
      sample("x", new Uniform(0, s));
    };
    const mcmc = new MCMC(new NUTS({ model }), { numWarmup: 400, numSamples: 1500, progressBar: false });
    await mcmc.run(key(9));
    const draws = mcmc.getSiteDraws();
    const x = mcErrors(draws.find((d) => d.name === "x")!.chains as Float64Array[], 1, 0, 1, 1);
    const sEr = mcErrors(draws.find((d) => d.name === "s")!.chains as Float64Array[], 1, 0, 2, 2);
    for (const e of [x, sEr]) {
      expect(Math.abs(e.meanErr)).toBeLessThan(4);
      expect(Math.abs(e.varErr)).toBeLessThan(5);
    }
    const out = mcmc.getSamples();
    const xs = out.x!.dataSync();
    const ss = out.s!.dataSync();
    for (let i = 0; i < xs.length; i++) expect(xs[i]!).toBeLessThan(ss[i]!);
  });
});
