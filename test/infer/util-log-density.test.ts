import {
  factor,
  mask,
  param,
  plate,
  type SampleMessage,
  sample,
  scale,
  seed,
  setParamTransform,
  type Tensor,
  tensor,
  trace,
  valueAndGrad,
} from "@scribe/core";
import {
  checkModelGuideMatch,
  computeLogProbs,
  constrainParams,
  initialParams,
  installDefaultParamTransform,
  latentSites,
  logDensity,
  observedSites,
  paramSites,
  runTrace,
  siteLogProb,
  traceLogDensity,
  unconstrainParams,
} from "@scribe/infer";
import { afterEach, describe, expect, it } from "vitest";
import { arr, MaskableToyNormal, normal01, normalLogPdf, ToyNormal } from "../helpers/toy-dist.js";

const Y = [0.3, -1.2, 2.5, 0.7, 1.1, -0.4];

describe("logDensity", () => {
  it("sums log-probs of latent and observed sites at the substituted values", () => {
    const model = (y: Tensor) => {
      const mu = sample("mu", new ToyNormal(0, 2));
      plate("data", y.shape[0]!, () => sample("y", new ToyNormal(mu, 1), { obs: y }));
    };
    const { logJoint, trace: tr } = logDensity(model, [tensor(Y, { dtype: "float64" })], {
      mu: tensor(0.5, { dtype: "float64" }),
    });
    const expected = normalLogPdf(0.5, 0, 2) + Y.reduce((a, y) => a + normalLogPdf(y, 0.5, 1), 0);
    expect(logJoint.item()).toBeCloseTo(expected, 10);
    expect([...tr.keys()]).toEqual(["mu", "data", "y"]);
  });

  it("is a differentiable 0 for an empty model", () => {
    expect(logDensity(() => {}, [], {}).logJoint.item()).toBe(0);
  });

  it("respects plate subsample scaling, the scale handler and masks (both mask paths)", () => {
    const y = tensor(Y, { dtype: "float64" });
    const idx = tensor([1, 4], { dtype: "int32" });
    const sub = (m: (ys: Tensor) => unknown) => () =>
      plate("data", 6, { subsampleSize: 2 }, (i) => m(y.index(i)));
    const base = (ys: Tensor) => sample("y", new ToyNormal(0, 1), { obs: ys });
    const ld = (f: () => unknown) => logDensity(f, [], { data: idx }).logJoint.item();
    const lp = (i: number) => normalLogPdf(Y[i]!, 0, 1);
    expect(ld(sub(base))).toBeCloseTo(3 * (lp(1) + lp(4)), 10);
    expect(ld(scale(sub(base), 0.5))).toBeCloseTo(1.5 * (lp(1) + lp(4)), 10);
    const m = tensor([0, 1]).gt(0);
    expect(ld(mask(sub(base), m))).toBeCloseTo(3 * lp(4), 10);
    const maskable = (ys: Tensor) => sample("y", new MaskableToyNormal(0, 1), { obs: ys });
    expect(ld(mask(sub(maskable), m))).toBeCloseTo(3 * lp(4), 10);
    expect(ld(mask(sub(base), false))).toBe(0);
  });

  it("includes factor sites", () => {
    const model = () => {
      sample("x", normal01(), { obs: tensor(0) });
      factor("f", tensor([1, 2]));
    };
    expect(logDensity(model, [], {}).logJoint.item()).toBeCloseTo(normalLogPdf(0, 0, 1) + 3, 6);
  });

  it("per-site log-probs: batch-shaped or summed, scaled or not", () => {
    const model = () => plate("d", 4, { subsampleSize: 2 }, () => sample("x", normal01()));
    const tr = trace(seed(model, 0)).getTrace();
    const x = tr.get("x") as SampleMessage;
    const raw = arr(siteLogProb(x, { scaled: false }));
    const scaled = arr(siteLogProb(x));
    expect(raw.length).toBe(2);
    scaled.forEach((v, i) => {
      expect(v).toBeCloseTo(2 * raw[i]!, 5);
    });
    const sums = computeLogProbs(tr, { sum: true });
    expect(sums.get("x")!.item()).toBeCloseTo(2 * (raw[0]! + raw[1]!), 5);
    expect(traceLogDensity(tr).item()).toBeCloseTo(sums.get("x")!.item(), 5);
  });

  it("errors name the site when logProb fails on a bad value shape", () => {
    const model = () => sample("y", new ToyNormal(tensor([0, 0, 0]), 1), { obs: tensor([1, 2]) });
    expect(() => logDensity(model, [], {})).toThrow(/site 'y'.*\[2\].*\[3\]/);
  });
});

describe("minibatch gradient is unbiased (closed form)", () => {
  const N = 6;
  const B = 2;
  const y = tensor(Y, { dtype: "float64" });
  const model = () => {
    const mu = param("mu", tensor(0, { dtype: "float64" }));
    plate("data", N, { subsampleSize: B }, (i) => sample("y", new ToyNormal(mu, 1), { obs: y.index(i) }));
  };
  const mu0 = 0.25;
  const fullGrad = Y.reduce((a, v) => a + (v - mu0), 0); // d/dmu Σ log N(y | mu, 1)
  const gradWith = (m: () => void, data: Record<string, Tensor>) =>
    (
      valueAndGrad((p: { mu: Tensor }) => logDensity(m, [], { ...data, mu: p.mu }).logJoint)({
        mu: tensor(mu0, { dtype: "float64" }),
      })[1] as {
        mu: Tensor;
      }
    ).mu.item();

  it("averaging over every possible minibatch gives the full-data gradient exactly", () => {
    let total = 0;
    let count = 0;
    for (let i = 0; i < N; i++)
      for (let j = i + 1; j < N; j++) {
        total += gradWith(model, { data: tensor([i, j], { dtype: "int32" }) });
        count++;
      }
    expect(total / count).toBeCloseTo(fullGrad, 10);
    // with an extra scale handler the expectation scales too
    let t2 = 0;
    for (let i = 0; i < N; i++)
      for (let j = i + 1; j < N; j++)
        t2 += gradWith(scale(model, 0.5), { data: tensor([i, j], { dtype: "int32" }) });
    expect(t2 / count).toBeCloseTo(0.5 * fullGrad, 10);
  });

  it("averaging over random subsample draws approaches it", () => {
    let total = 0;
    const draws = 600;
    for (let s = 0; s < draws; s++) total += gradWith(seed(model, s), {});
    // per-draw sd of the scaled gradient is about 3 here, so 600 draws give an s.e. ≈ 0.12
    expect(Math.abs(total / draws - fullGrad)).toBeLessThan(0.5);
  });
});

describe("trace plumbing", () => {
  afterEach(() => installDefaultParamTransform());

  const guide = () => {
    const loc = param("loc", tensor([0, 0]));
    const sd = param("sd", tensor([1, 1]), { constraint: { check: (v: Tensor) => v.gt(0) } });
    sample("z", new ToyNormal(loc, sd));
  };
  const model = (y: Tensor) => {
    const z = sample("z", new ToyNormal(tensor([0, 0]), 1));
    sample("y", new ToyNormal(z, 1), { obs: y });
  };

  it("runTrace/initialParams/paramSites/latentSites/observedSites", () => {
    const { params, constraints } = initialParams(guide, [], 0);
    expect(Object.keys(params)).toEqual(["loc", "sd"]);
    expect(constraints.get("loc")).toBeNull();
    expect(constraints.get("sd")).not.toBeNull();
    const gtr = runTrace(guide, [], { rngKey: 1, params: { loc: tensor([5, 5]) } });
    expect(paramSites(gtr).map((p) => p.name)).toEqual(["loc", "sd"]);
    const mtr = runTrace(model, [tensor([1, 2])], { rngKey: 2, replayTrace: gtr });
    expect(arr(mtr.get("z")!.value as Tensor)).toEqual(arr(gtr.get("z")!.value as Tensor));
    expect(latentSites(mtr).map((s) => s.name)).toEqual(["z"]);
    expect(observedSites(mtr).map((s) => s.name)).toEqual(["y"]);
    checkModelGuideMatch(mtr, gtr);
  });

  it("checkModelGuideMatch names the site when shapes disagree or the guide has extra sites", () => {
    const badGuide = () => sample("z", new ToyNormal(tensor([0, 0, 0]), 1));
    const mtr = runTrace(model, [tensor([1, 2])], { rngKey: 0 });
    expect(() => checkModelGuideMatch(mtr, runTrace(badGuide, [], { rngKey: 0 }))).toThrow(
      /site 'z'.*\[2\].*\[3\]/,
    );
    const extra = () => [sample("z", normal01()), sample("w", normal01())];
    expect(() => checkModelGuideMatch(mtr, runTrace(extra, [], { rngKey: 0 }))).toThrow(/guide site 'w'/);
  });

  it("constrain/unconstrain use the injected param transform", () => {
    const { params, constraints } = initialParams(guide, [], 0);
    setParamTransform(null);
    expect(() => unconstrainParams(params, constraints)).toThrow(/setParamTransform/);
    setParamTransform(() => ({ forward: (u) => u.exp(), inverse: (x) => x.log() }));
    const u = unconstrainParams(params, constraints);
    expect(arr(u.sd!)).toEqual([0, 0]);
    expect(u.loc).toBe(params.loc);
    const back = constrainParams({ loc: tensor([1]), sd: tensor([0]) }, constraints);
    expect(arr(back.sd!)).toEqual([1]);
  });
});
