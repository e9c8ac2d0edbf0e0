import {
  key,
  liveBuffers,
  param,
  plate,
  sample,
  scope,
  seed,
  type Tensor,
  tensor,
  trace,
} from "@scribe/core";
import { Bernoulli, Beta, Normal, positive } from "@scribe/distributions";
import {
  AutoDelta,
  AutoNormal,
  adam,
  exponentialDecay,
  SVI,
  TraceELBO,
  TraceMeanFieldELBO,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

// Normal–Normal: z ~ N(0, 1), y_i ~ N(z, 1). Posterior N(Σy/(N+1), 1/(N+1)).
const Y = [1.2, 0.8, 1.9, 0.4, 1.1, 1.6, 0.9, 1.3, 0.2, 1.0, 1.4, 0.7];
const N = Y.length;
const postMean = Y.reduce((a, b) => a + b, 0) / (N + 1);
const postSd = Math.sqrt(1 / (N + 1));
const model = (y: Tensor) => {
  const z = sample("z", new Normal(0, 1));
  plate("data", y.shape[0]!, () => sample("y", new Normal(z, 1), { obs: y }));
};
const guide = () => {
  const loc = param("loc", tensor(0));
  const sd = param("sd", tensor(1), { constraint: positive });
  sample("z", new Normal(loc, sd));
};
const y = tensor(Y);

describe("SVI on a conjugate Normal model", () => {
  it("TraceMeanFieldELBO recovers the exact posterior", async () => {
    // 300 steps from 0.1 down to 0.002 (measured: loc off by 0.003, sd by 4 %; bounds below)
    const svi = new SVI(model, guide, adam(exponentialDecay(0.1, 300, 0.02)), new TraceMeanFieldELBO());
    const { params, losses } = await svi.run(key(0), 300, [y]);
    expect(Math.abs(params.loc!.item() - postMean)).toBeLessThan(0.03);
    expect(Math.abs(params.sd!.item() / postSd - 1)).toBeLessThan(0.15);
    expect(params.sd!.item()).toBeGreaterThan(0);
    const avg = (a: Float64Array) => a.reduce((x, v) => x + v, 0) / a.length;
    expect(avg(losses.subarray(-100))).toBeLessThan(avg(losses.subarray(0, 20)));
  });

  it("TraceELBO with several particles also gets there", async () => {
    const svi = new SVI(
      model,
      guide,
      adam(exponentialDecay(0.1, 300, 0.02)),
      new TraceELBO({ numParticles: 4, vectorizeParticles: true }),
    );
    // measured at 300 steps: loc off by 0.001, sd by 1.5 %
    const { params } = await svi.run(key(1), 300, [y]);
    expect(Math.abs(params.loc!.item() - postMean)).toBeLessThan(0.08);
    expect(Math.abs(params.sd!.item() / postSd - 1)).toBeLessThan(0.3);
  });

  it("keeps live buffers flat over a run", async () => {
    const svi = new SVI(model, guide, adam(0.05), new TraceELBO());
    let state = svi.init(key(2), [y]);
    state = scope(() => svi.update(state, [y]).state);
    // a readback evaluates the model's deferred argument checks, which hold their inputs till then
    await svi.getParams(state).loc!.data();
    const before = liveBuffers();
    // a leak of one buffer per step shows after any number of steps: 60 as good as 300
    for (let i = 0; i < 60; i++) state = scope(() => svi.update(state, [y]).state);
    await svi.getParams(state).loc!.data();
    expect(liveBuffers()).toBe(before);
    const r = await svi.run(key(3), 20, [y], { initState: state });
    expect(r.losses.length).toBe(20);
  });

  it("stableUpdate skips a step whose loss is not finite", async () => {
    const bad = (yy: Tensor) => {
      const z = sample("z", new Normal(0, 1));
      plate("data", yy.shape[0]!, () => sample("y", new Normal(z, 1, false), { obs: yy.mul(Number.NaN) }));
    };
    const svi = new SVI(bad, guide, adam(0.05), new TraceELBO());
    const s0 = svi.init(key(4), [y]);
    const before = svi.getParams(s0).loc!.item();
    const { state } = svi.stableUpdate(s0, [y]);
    expect(svi.getParams(state).loc!.item()).toBe(before);
  });
});

describe("autoguides", () => {
  it("AutoDelta finds the MAP estimate", async () => {
    const g = new AutoDelta(model);
    // a point mass: the gradient is exact, so a decaying step settles in 300 steps (measured 4e-4 off)
    const svi = new SVI(model, g, adam(exponentialDecay(0.1, 300, 0.02)), new TraceELBO());
    const { params } = await svi.run(key(5), 300, [y]);
    expect(g.median(params).z!.item()).toBeCloseTo(postMean, 2);
  });

  it("AutoNormal on Beta–Bernoulli: the guide's median is near the posterior's", async () => {
    const xs = tensor([1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1]);
    const bb = (x: Tensor) => {
      const p = sample("p", new Beta(1, 1));
      plate("data", x.shape[0]!, () => sample("x", Bernoulli({ probs: p }), { obs: x }));
    };
    const g = new AutoNormal(bb);
    // 8 vectorized particles and a decaying step: 400 steps instead of 2,500 (measured 0.015 off)
    const svi = new SVI(
      bb,
      g,
      adam(exponentialDecay(0.05, 400, 0.1)),
      new TraceELBO({ numParticles: 8, vectorizeParticles: true }),
    );
    const { params } = await svi.run(key(6), 400, [xs]);
    const s = 12;
    const n = 16;
    const postMeanP = (s + 1) / (n + 2);
    expect(Math.abs(g.median(params).p!.item() - postMeanP)).toBeLessThan(0.05);
    // the guide enters the model's plates (so subsample indices are shared); the model site is a
    // Delta carrying the Jacobian, preceded by an auxiliary unconstrained site
    const tr = trace(seed(() => g.call(xs), 0)).getTrace();
    expect([...tr.keys()].filter((k) => !k.startsWith("p_auto"))).toEqual(["data", "p_unconstrained", "p"]);
  });

  it("AutoNormal with a subsampled local latent keeps full-size params and learns them", async () => {
    const M = 20;
    const obs = tensor(Array.from({ length: M }, (_, i) => (i % 5) - 2));
    const local = (o: Tensor) =>
      plate("items", M, { subsampleSize: 5 }, (idx) => {
        const z = sample("z", new Normal(0, 1));
        sample("o", new Normal(z, 1), { obs: o.index(idx) });
      });
    const g = new AutoNormal(local);
    // each item is in a quarter of the steps: 1,000 steps from 0.1 down to 0.005 (measured:
    // mean error 0.035, worst 0.081; it was 4,000 from 0.05)
    const svi = new SVI(local, g, adam(exponentialDecay(0.1, 1000, 0.05)), new TraceMeanFieldELBO());
    const { params } = await svi.run(key(7), 1000, [obs]);
    expect(params.z_auto_loc!.shape).toEqual([M]);
    expect(params.z_auto_scale!.shape).toEqual([M]);
    const loc = Array.from(params.z_auto_loc!.dataSync() as ArrayLike<number>);
    const target = Array.from(obs.dataSync() as ArrayLike<number>).map((v) => v / 2);
    const errs = loc.map((v, i) => Math.abs(v - target[i]!));
    expect(errs.reduce((a, b) => a + b, 0) / M).toBeLessThan(0.1);
    expect(Math.max(...errs)).toBeLessThan(0.3);
  });
});
