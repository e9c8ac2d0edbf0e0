import {
  deterministic,
  key,
  liveBuffers,
  plate,
  reparam,
  sample,
  scope,
  seed,
  type Tensor,
  tensor,
  trace,
} from "@scribe/core";
import { ExpTransform, LogNormal, Normal, TransformedDistribution } from "@scribe/distributions";
import {
  AutoNormal,
  adam,
  LocScaleReparam,
  logLikelihood,
  Predictive,
  potentialEnergy,
  SVI,
  TraceELBO,
  TransformReparam,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

const N = 5;
const model = (y: Tensor | null) => {
  const mu = sample("mu", new Normal(1, 2));
  const sd = sample("sd", new LogNormal(0, 0.25));
  deterministic("mu2", mu.mul(2));
  plate("data", N, () => sample("y", new Normal(mu, sd), { obs: y }));
};
const stats = (t: Tensor) => {
  const a = Array.from(t.dataSync() as Float32Array);
  const m = a.reduce((x, v) => x + v, 0) / a.length;
  return { m, v: a.reduce((x, v) => x + (v - m) ** 2, 0) / a.length };
};

describe("Predictive", () => {
  it("prior predictive: shapes and moments, chunked", () => {
    const out = new Predictive(model, { numSamples: 3000, batchSize: 256 }).call(key(0), null);
    expect(out.mu!.shape).toEqual([3000]);
    expect(out.y!.shape).toEqual([3000, N]);
    expect(out.mu2!.shape).toEqual([3000]);
    const mu = stats(out.mu!);
    expect(Math.abs(mu.m - 1)).toBeLessThan(0.12);
    expect(Math.abs(mu.v / 4 - 1)).toBeLessThan(0.1);
    // Var y = Var mu + E sd² = 4 + exp(2·0.0625)
    const y = stats(out.y!);
    expect(Math.abs(y.v / (4 + Math.exp(0.125)) - 1)).toBeLessThan(0.1);
  });

  it("posterior predictive from samples: returns only the sites not given", () => {
    const samples = { mu: tensor([0, 10, 20, 30]), sd: tensor([0.01, 0.01, 0.01, 0.01]) };
    const out = new Predictive(model, { posteriorSamples: samples, batchSize: 3 }).call(key(1), null);
    expect(Object.keys(out).sort()).toEqual(["mu2", "y"]);
    const y = out.y!.toArray() as number[][];
    for (let i = 0; i < 4; i++) for (const v of y[i]!) expect(Math.abs(v - 10 * i)).toBeLessThan(0.1);
    expect(out.mu2!.toArray()).toEqual([0, 20, 40, 60]);
  });

  it("deterministic values in the posterior samples are recomputed unless excludeDeterministic is false", () => {
    // mcmc.getSamples() carries deterministic sites; stale values there must not leak through.
    const samples = { mu: tensor([1, 2, 3]), sd: tensor([0.01, 0.01, 0.01]), mu2: tensor([-5, -5, -5]) };
    const fresh = new Predictive(model, { posteriorSamples: samples }).call(key(3), null);
    expect(fresh.mu2!.toArray()).toEqual([2, 4, 6]);
    const kept = new Predictive(model, { posteriorSamples: samples, excludeDeterministic: false }).call(
      key(3),
      null,
    );
    expect(kept.mu2!.toArray()).toEqual([-5, -5, -5]);
  });

  it("posterior predictive from a guide, with returnSites, and memory stays bounded", async () => {
    const y = tensor([2.1, 1.8, 2.4, 2.0, 1.9]);
    const g = new AutoNormal(model);
    const { params } = await new SVI(model, g, adam(0.05), new TraceELBO()).run(key(2), 500, [y]);
    const pred = new Predictive(model, {
      guide: g,
      params,
      numSamples: 400,
      returnSites: ["y", "mu"],
      batchSize: 50,
    });
    const before = liveBuffers();
    const out = scope(() => pred.call(key(3), null));
    expect(liveBuffers() - before).toBe(2);
    expect(out.y!.shape).toEqual([400, N]);
    expect(Math.abs(stats(out.mu!).m - 2)).toBeLessThan(0.2);
  });
});

describe("logLikelihood and potentialEnergy", () => {
  it("pointwise log-likelihood per draw and per plate element", () => {
    const y = tensor([0.5, 1, 1.5, 2, 2.5]);
    const ll = logLikelihood(model, { mu: tensor([1, 2]), sd: tensor([1, 0.5]) }, y);
    expect(ll.y!.shape).toEqual([2, N]);
    const got = ll.y!.toArray() as number[][];
    const lp = (v: number, m: number, s: number) =>
      -0.5 * ((v - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
    [0.5, 1, 1.5, 2, 2.5].forEach((v, j) => {
      expect(got[0]![j]!).toBeCloseTo(lp(v, 1, 1), 4);
      expect(got[1]![j]!).toBeCloseTo(lp(v, 2, 0.5), 4);
    });
  });

  it("potential energy includes the log-Jacobian of the support transform", () => {
    const y = tensor([0.5, 1, 1.5, 2, 2.5]);
    const u = potentialEnergy(model, [y], { mu: tensor(1), sd: tensor(Math.log(0.8)) }).item();
    const lnN = (v: number, m: number, s: number) =>
      -0.5 * ((v - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
    const logSd = Math.log(0.8);
    let lj = lnN(1, 1, 2) + lnN(logSd, 0, 0.25) - logSd; // LogNormal density at 0.8
    for (const v of [0.5, 1, 1.5, 2, 2.5]) lj += lnN(v, 1, 0.8);
    expect(u).toBeCloseTo(-(lj + logSd), 4);
  });
});

describe("reparameterizers", () => {
  it("LocScaleReparam(0) keeps the marginal of the site (prior predictive moments)", () => {
    const nc = reparam(model, { mu: new LocScaleReparam(0) });
    const names = [...trace(seed(nc, 0)).getTrace(null).keys()];
    expect(names.slice(0, 2)).toEqual(["mu_decentered", "mu"]);
    const out = new Predictive(nc, { numSamples: 2000, returnSites: ["mu"] }).call(key(4), null);
    const s = stats(out.mu!);
    expect(Math.abs(s.m - 1)).toBeLessThan(0.15);
    expect(Math.abs(s.v / 4 - 1)).toBeLessThan(0.12);
  });

  it("learnable centeredness registers a param in (0, 1)", () => {
    const lc = reparam(model, { mu: new LocScaleReparam(null) });
    const tr = trace(seed(lc, 0)).getTrace(null);
    expect(tr.get("mu_centered")?.type).toBe("param");
    expect(tr.get("mu")?.type).toBe("deterministic");
  });

  it("TransformReparam samples the base and pushes it through the transforms", () => {
    const m = () => {
      plate("p", 3, () => sample("x", new TransformedDistribution(new Normal(0, 1), [new ExpTransform()])));
    };
    const tr = trace(seed(reparam(m, { x: new TransformReparam() }), 1)).getTrace();
    const base = tr.get("x_base")!;
    const x = tr.get("x")!;
    expect(x.type).toBe("deterministic");
    expect((base as { value: Tensor }).value.shape).toEqual([3]);
    const b = (base as { value: Tensor }).value.toArray() as number[];
    const xv = (x as { value: Tensor }).value.toArray() as number[];
    b.forEach((v, i) => {
      expect(xv[i]!).toBeCloseTo(Math.exp(v), 5);
    });
  });
});
