import { key, random, seed, tensor, trace } from "@scribe/core";
import {
  gridParams,
  latentSiteSpecs,
  makeConfig,
  naturalParams,
  nbdm,
  nbvcp,
  resolveParameterization,
  zinbvcp,
} from "@scribe/models";
import { describe, expect, it } from "vitest";

const close = (a: number[], b: number[], tol = 1e-4) =>
  a.forEach((x, i) => void expect(Math.abs(x - b[i]!)).toBeLessThan(tol * (1 + Math.abs(b[i]!))));
const arr = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync(), Number);

describe("parameterization identities", () => {
  it("derive the same p, r, mu, phi from every parameterization", () => {
    const p = 0.3;
    const r = [0.5, 2, 7];
    const mu = r.map((x) => (x * p) / (1 - p));
    const phi = (1 - p) / p;
    const base = { nCells: 4, nGenes: 3 };
    const cases = [
      ["canonical", { p: tensor(p), r: tensor(r) }],
      ["mean_prob", { p: tensor(p), mu: tensor(mu) }],
      ["mean_odds", { phi: tensor(phi), mu: tensor(mu) }],
      ["mean_disp", { mu: tensor(mu), r: tensor(r) }],
    ] as const;
    for (const [name, values] of cases) {
      const cfg = makeConfig("nbdm", { ...base, parameterization: name });
      const v = gridParams(cfg, values);
      close(arr(v.r), r);
      close(arr(v.mu), mu);
      close(arr(v.p).slice(0, 1), [p]);
      close(arr(v.phi).slice(0, 1), [phi]);
    }
  });
  it("accepts SCRIBE's aliases", () => {
    expect(resolveParameterization("standard")).toBe("canonical");
    expect(resolveParameterization("linked")).toBe("mean_prob");
    expect(resolveParameterization("odds_ratio")).toBe("mean_odds");
    expect(() => resolveParameterization("nope")).toThrow(/unknown parameterization/);
  });
  it("keeps leading sample axes", () => {
    const cfg = makeConfig("nbdm", { nCells: 2, nGenes: 3, nComponents: 2 });
    const v = naturalParams(
      cfg,
      {
        p: tensor([[0.2, 0.5]]),
        r: tensor([
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ]),
        mixing_weights: tensor([[0.5, 0.5]]),
      },
      1,
    );
    expect(v.mu.shape).toEqual([1, 2, 3]);
    expect(v.p.shape).toEqual([1, 2]);
    close(arr(v.mu), [0.25, 0.5, 0.75, 4, 5, 6]);
  });
});

describe("model and guide traces", () => {
  const counts = random.poisson(key(1), tensor(3), [6, 4]);
  it("nbdm: p scalar, r per gene, counts [C, G]", () => {
    const { model, guide } = nbdm({ nCells: 6, nGenes: 4 });
    const tr = trace(seed(model, key(0))).getTrace(counts);
    expect(tr.get("p")!.value!.shape).toEqual([]);
    expect(tr.get("r")!.value!.shape).toEqual([4]);
    expect(tr.get("mu")!.type).toBe("deterministic");
    expect(tr.get("counts")!.value!.shape).toEqual([6, 4]);
    const gt = trace(seed(guide, key(0))).getTrace(counts);
    expect([...gt.keys()]).toEqual(["p_alpha", "p_beta", "p", "r_loc", "r_scale", "r"]);
    expect(arr(gt.get("p_alpha")!.value!)).toEqual([1]);
    expect(arr(gt.get("r_scale")!.value!)).toEqual([1, 1, 1, 1]);
  });
  it("nbvcp minibatch: p_capture in the cell plate, indexed by the subsample", () => {
    const { model, guide } = nbvcp({ nCells: 6, nGenes: 4 });
    const tr = trace(seed(model, key(0))).getTrace(counts, 3);
    expect(tr.get("p_capture")!.value!.shape).toEqual([3]);
    expect(tr.get("counts")!.value!.shape).toEqual([3, 4]);
    const gt = trace(seed(guide, key(0))).getTrace(counts, 3);
    expect(gt.get("p_capture")!.value!.shape).toEqual([3]);
  });
  it("zinbvcp mixture, mean_odds: phi [K], mu and gate [K, G], phi_capture per cell", () => {
    const { model } = zinbvcp({ nCells: 6, nGenes: 4, nComponents: 2, parameterization: "odds_ratio" });
    const tr = trace(seed(model, key(0))).getTrace(counts);
    expect(tr.get("mixing_weights")!.value!.shape).toEqual([2]);
    expect(tr.get("phi")!.value!.shape).toEqual([2]);
    expect(tr.get("mu")!.value!.shape).toEqual([2, 4]);
    expect(tr.get("gate")!.value!.shape).toEqual([2, 4]);
    expect(tr.get("phi_capture")!.value!.shape).toEqual([6]);
    expect(tr.get("r")!.type).toBe("deterministic");
  });
  it("biology-informed capture: eta_capture with deterministic p_capture", () => {
    const { model, guide } = nbvcp({ nCells: 6, nGenes: 4, priors: { organism: "human" } });
    const tr = trace(seed(model, key(0))).getTrace(counts);
    expect(tr.get("eta_capture")!.type).toBe("sample");
    expect(tr.get("p_capture")!.type).toBe("deterministic");
    const gt = trace(seed(guide, key(0))).getTrace(counts);
    expect(gt.get("eta_capture_raw_loc")!.value!.shape).toEqual([6]);
  });
  it("low-rank and amortized guides", () => {
    const { guide } = nbvcp({ nCells: 6, nGenes: 4, guideRank: 2, amortizeCapture: true });
    const gt = trace(seed(guide, key(0))).getTrace(counts);
    expect(gt.get("log_r_W")!.value!.shape).toEqual([4, 2]);
    expect(gt.has("capture_amortizer_W0")).toBe(true);
    expect(gt.get("p_capture")!.value!.shape).toEqual([6]);
  });
});

describe("priors", () => {
  it("defaults match the SCRIBE parameterization table", () => {
    const c = makeConfig("zinbvcp", { nCells: 2, nGenes: 2 });
    expect(c.priors.base.p).toEqual([1, 1]);
    expect(c.priors.base.gate).toEqual([1, 9]);
    expect(c.priors.base.r).toEqual([0, 1]);
    const u = makeConfig("zinb", { nCells: 2, nGenes: 2, unconstrained: true });
    expect(u.priors.base.gate).toEqual([-2, 1]);
    expect(latentSiteSpecs(u).find((s) => s.name === "r")!.family).toMatchObject({
      kind: "tnormal",
      transform: "softplus",
    });
    const e = makeConfig("nbdm", {
      nCells: 2,
      nGenes: 2,
      unconstrained: true,
      positiveTransform: { r: "exp" },
    });
    expect(latentSiteSpecs(e).find((s) => s.name === "r")!.family).toMatchObject({ transform: "exp" });
  });
  it("routes the unified priors option by the value's shape", () => {
    const c = makeConfig("nbvcp", {
      nCells: 2,
      nGenes: 3,
      unconstrained: true,
      priors: { probability: "gaussian", dispersion: [1, 2], organism: "mouse" },
    });
    expect(c.priors.base.r).toEqual([1, 2]);
    expect(c.priors.hierarchy.prob).toEqual({ family: "gaussian" });
    expect(c.priors.capture!.logM0).toBeCloseTo(Math.log(200000));
    const names = latentSiteSpecs(c).map((s) => s.name);
    expect(names).toEqual(["logit_p_loc", "logit_p_scale", "p", "r", "eta_capture"]);
    expect(() => makeConfig("nbdm", { nCells: 2, nGenes: 2, priors: { probability: "gaussian" } })).toThrow(
      /unconstrained/,
    );
    expect(() => makeConfig("nbdm", { nCells: 2, nGenes: 2, priors: { mu: [0, 1] } })).toThrow(/not sampled/);
    const h = makeConfig("zinb", {
      nCells: 2,
      nGenes: 3,
      unconstrained: true,
      priors: { zero_inflation: { type: "horseshoe", tau0: 0.5 } },
    });
    expect(latentSiteSpecs(h).map((s) => s.name)).toContain("tau_gate");
  });
});
