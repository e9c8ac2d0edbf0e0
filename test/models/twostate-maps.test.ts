import { tensor } from "@scribe/core";
import {
  latentSiteSpecs,
  makeConfig,
  resolveParameterization,
  TWO_STATE_LIMITS,
  type TwoStateParameterization,
  twoStateForward,
  twoStateMeanCapture,
  twoStateMuPriorLoc,
} from "@scribe/models";
import { describe, expect, it } from "vitest";
import { moments, naturalMap } from "./twostate-reference.js";

// Forward maps (SCRIBE two-state models) against the closed forms written out in twostate-reference.ts, the
// moment identities, the clamps, and the configuration rules of the TwoState models.

const arr = (t: { dataSync(): ArrayLike<number | boolean> }) => Array.from(t.dataSync(), Number);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));

// mu, x1, x2 per gene: values where no clamp fires
const CASES: Record<TwoStateParameterization, [number[], number[], number[]]> = {
  two_state_natural: [
    [0.5, 3, 40, 250],
    [0.2, 1.5, 4, 10],
    [0.3, 2, 25, 600],
  ], // b, k_off
  two_state_ratio: [
    [0.5, 3, 40, 250],
    [0.2, 1.5, 4, 10],
    [0.4, 2, 7, 0.5],
  ], // b, s
  two_state_mean_fano: [
    [0.5, 3, 40, 250],
    [0.1, 1.5, 4, 30],
    [0.5, 5, 60, 300],
  ], // e, κ
  two_state_moment_delta: [
    [0.5, 3, 40, 250],
    [0.1, 1.5, 4, 30],
    [0.3, 0.1, 0.02, 0.004],
  ], // e, δ
};

describe("TwoState forward maps vs closed forms", () => {
  for (const [param, [mu, x1, x2]] of Object.entries(CASES) as [
    TwoStateParameterization,
    [number[], number[], number[]],
  ][]) {
    it(`${param}: α, β, r̂ match the table; E[u] = mu`, () => {
      const m = twoStateForward(param, tensor(mu), tensor(x1), tensor(x2));
      const [a, b, r] = [arr(m.alpha), arr(m.beta), arr(m.rHat)];
      mu.forEach((mg, g) => {
        const want = naturalMap(param, mg, x1[g]!, x2[g]!);
        // the test values keep α, β inside [0.05, 1000]: no clamp, natural r̂
        expect(want.alpha).toBeGreaterThan(0.05);
        expect(want.beta).toBeLessThan(1000);
        expect(rel(a[g]!, want.alpha)).toBeLessThan(1e-5);
        expect(rel(b[g]!, want.beta)).toBeLessThan(1e-5);
        expect(rel(r[g]!, want.rHat)).toBeLessThan(1e-5);
        expect(rel(moments(want.alpha, want.beta, want.rHat).mean, mg)).toBeLessThan(1e-12);
        expect(rel(moments(a[g]!, b[g]!, r[g]!).mean, mg)).toBeLessThan(1e-5);
      });
      expect(arr(m.alphaFloorActive)).toEqual([0, 0, 0, 0]);
      expect(arr(m.betaFloorActive)).toEqual([0, 0, 0, 0]);
      // eta_act = log α − log β, effective burst size mu/α
      arr(m.etaAct).forEach((v, g) => {
        expect(Math.abs(v - Math.log(a[g]! / b[g]!))).toBeLessThan(1e-5);
      });
      arr(m.effectiveBurstSize).forEach((v, g) => {
        expect(rel(v, mu[g]! / a[g]!)).toBeLessThan(1e-5);
      });
    });
  }

  it("mean_fano and moment_delta: Var/E − 1 = e (moment formula of the SCRIBE two-state models)", () => {
    for (const param of ["two_state_mean_fano", "two_state_moment_delta"] as const) {
      const [mu, e, x2] = CASES[param];
      const m = twoStateForward(param, tensor(mu), tensor(e), tensor(x2));
      const [a, b, r] = [arr(m.alpha), arr(m.beta), arr(m.rHat)];
      mu.forEach((_, g) => {
        const want = naturalMap(param, mu[g]!, e[g]!, x2[g]!);
        const mw = moments(want.alpha, want.beta, want.rHat);
        expect(Math.abs(mw.variance / mw.mean - 1 - e[g]!)).toBeLessThan(1e-10 * (1 + e[g]!));
        const mg = moments(a[g]!, b[g]!, r[g]!);
        expect(rel(mg.variance / mg.mean - 1, e[g]!)).toBeLessThan(1e-4);
      });
    }
  });

  it("derived sites per parameterization: k_off, burst_size, concentration", () => {
    const n = twoStateForward("two_state_natural", tensor([4]), tensor([2]), tensor([3]));
    expect(Object.keys(n.derived)).toEqual([]);
    const r = twoStateForward("two_state_ratio", tensor([4]), tensor([2]), tensor([3]));
    expect(Object.keys(r.derived)).toEqual(["k_off"]);
    expect(rel(arr(r.derived.k_off!)[0]!, 3 * (4 / 2))).toBeLessThan(1e-6);
    const f = twoStateForward("two_state_mean_fano", tensor([4]), tensor([2]), tensor([3]));
    expect(Object.keys(f.derived).sort()).toEqual(["burst_size", "k_off"]);
    const fw = naturalMap("two_state_mean_fano", 4, 2, 3);
    expect(rel(arr(f.derived.burst_size!)[0]!, 4 / fw.alpha)).toBeLessThan(1e-6);
    const d = twoStateForward("two_state_moment_delta", tensor([4]), tensor([2]), tensor([0.2]));
    expect(Object.keys(d.derived).sort()).toEqual(["burst_size", "concentration", "k_off"]);
    expect(rel(arr(d.derived.concentration!)[0]!, 0.8 / 0.2)).toBeLessThan(1e-6);
    expect(rel(arr(d.derived.k_off!)[0]!, naturalMap("two_state_moment_delta", 4, 2, 0.2).beta)).toBeLessThan(
      1e-5,
    );
  });
});

describe("TwoState safety clamps (order: b, D, α, β; then r̂ = mu(α+β)/α)", () => {
  const L = TWO_STATE_LIMITS;
  it("α floor and ceiling, β floor and ceiling: mean preserved, flags for the floors", () => {
    // natural: (mu, b, k_off) → α_raw = mu/b, β_raw = k_off
    const mu = [0.01, 5000, 3, 3];
    const b = [1, 1, 1, 1];
    const koff = [2, 2, 0.01, 5000];
    const m = twoStateForward("two_state_natural", tensor(mu), tensor(b), tensor(koff));
    const a = arr(m.alpha);
    const be = arr(m.beta);
    const r = arr(m.rHat);
    expect(a[0]).toBeCloseTo(L.alphaMin, 7); // 0.01 → 0.05
    expect(a[1]).toBeCloseTo(L.alphaMax, 3); // 5000 → 1000
    expect(be[2]).toBeCloseTo(L.betaMin, 7); // 0.01 → 0.05
    expect(be[3]).toBeCloseTo(L.betaMax, 3); // 5000 → 1000
    // mean-preserving r̂ = mu(α+β)/α, not the natural mu + b·k_off
    const clamped = [
      [0.05, 2],
      [1000, 2],
      [3, 0.05],
      [3, 1000],
    ];
    clamped.forEach(([al, bt], g) => {
      expect(rel(r[g]!, (mu[g]! * (al! + bt!)) / al!)).toBeLessThan(1e-5);
      expect(rel(moments(a[g]!, be[g]!, r[g]!).mean, mu[g]!)).toBeLessThan(1e-5);
      expect(rel(r[g]!, mu[g]! + b[g]! * koff[g]!)).toBeGreaterThan(1e-3);
    });
    // floors are flagged, ceilings are not
    expect(arr(m.alphaFloorActive)).toEqual([1, 0, 0, 0]);
    expect(arr(m.betaFloorActive)).toEqual([0, 0, 1, 0]);
  });

  it("burst size floor b ≥ 1e−4 comes before α = mu/b", () => {
    const m = twoStateForward("two_state_natural", tensor([0.02, 0.02]), tensor([1e-9, 0]), tensor([1, 1]));
    // α_raw = 0.02/1e−4 = 200 (inside the clip), not 2e7 or ∞
    arr(m.alpha).forEach((a) => {
      expect(rel(a, 0.02 / L.burstMin)).toBeLessThan(1e-5);
    });
    const r = twoStateForward("two_state_ratio", tensor([0.02]), tensor([0]), tensor([0.5]));
    expect(rel(arr(r.alpha)[0]!, 200)).toBeLessThan(1e-5);
    expect(rel(arr(r.beta)[0]!, 100)).toBeLessThan(1e-5);
  });

  it("denominator floor D ≥ 1e−8 comes before α, β (mean_fano and moment_delta)", () => {
    // mean_fano with mu = e = 1e−10, κ = 1: D = 3e−10 → 1e−8, so α_raw = 0.01 and β_raw = 0.02 (both
    // below the floor; without the D floor they would be 1/3 and 2/3 and no flag would be set)
    const f = twoStateForward("two_state_mean_fano", tensor([1e-10]), tensor([1e-10]), tensor([1]));
    expect(arr(f.alphaFloorActive)).toEqual([1]);
    expect(arr(f.betaFloorActive)).toEqual([1]);
    expect(arr(f.alpha)[0]).toBeCloseTo(0.05, 7);
    expect(arr(f.beta)[0]).toBeCloseTo(0.05, 7);
    expect(rel(arr(f.rHat)[0]!, (1e-10 * 0.1) / 0.05)).toBeLessThan(1e-4);
    // moment_delta with mu = e = 1e−10, δ = 0.5: D = 1.5e−10 → 1e−8, α_raw = 5e−3, β_raw = 1e−2
    const d = twoStateForward("two_state_moment_delta", tensor([1e-10]), tensor([1e-10]), tensor([0.5]));
    expect(arr(d.alphaFloorActive)).toEqual([1]);
    expect(arr(d.betaFloorActive)).toEqual([1]);
  });

  it("δ is clipped to [1e−6, 1 − 1e−6]", () => {
    const d = twoStateForward("two_state_moment_delta", tensor([2, 2]), tensor([1, 1]), tensor([0, 1]));
    const conc = arr(d.derived.concentration!);
    expect(rel(conc[0]!, (1 - 1e-6) / 1e-6)).toBeLessThan(1e-3);
    expect(rel(conc[1]!, 1e-6 / (1 - 1e-6))).toBeLessThan(1e-2);
    // δ = 1e−6: α_raw = 2(1 − 1e−6)/(2e−6 + 1) ≈ 2, β_raw ≈ 1e6 → 1000; r̂ = 2(2 + 1000)/2
    const a = arr(d.alpha);
    const b = arr(d.beta);
    const r = arr(d.rHat);
    expect(rel(a[0]!, 2)).toBeLessThan(1e-4);
    expect(b[0]).toBeCloseTo(1000, 2);
    expect(rel(r[0]!, 1002)).toBeLessThan(1e-4);
    expect(Number.isFinite(r[1]!)).toBe(true);
    expect(a[1]).toBeCloseTo(0.05, 7);
  });

  it("every clamp preserves the mean over a grid of extreme inputs", () => {
    const mu: number[] = [];
    const x1: number[] = [];
    const x2: number[] = [];
    for (const m of [1e-4, 0.1, 10, 1e4])
      for (const a of [1e-6, 0.01, 1, 100, 1e6])
        for (const b of [1e-6, 0.01, 1, 100, 1e6]) {
          mu.push(m);
          x1.push(a);
          x2.push(b);
        }
    for (const param of [
      "two_state_natural",
      "two_state_ratio",
      "two_state_mean_fano",
      "two_state_moment_delta",
    ] as const) {
      const y2 = param === "two_state_moment_delta" ? x2.map((v) => v / (1 + v)) : x2;
      const m = twoStateForward(param, tensor(mu), tensor(x1), tensor(y2));
      const [a, b, r] = [arr(m.alpha), arr(m.beta), arr(m.rHat)];
      a.forEach((av, i) => {
        expect(av).toBeGreaterThanOrEqual(L.alphaMin * (1 - 1e-6));
        expect(av).toBeLessThanOrEqual(L.alphaMax * (1 + 1e-6));
        expect(b[i]).toBeGreaterThanOrEqual(L.betaMin * (1 - 1e-6));
        expect(b[i]).toBeLessThanOrEqual(L.betaMax * (1 + 1e-6));
        expect(rel(moments(av, b[i]!, r[i]!).mean, mu[i]!)).toBeLessThan(1e-5);
      });
    }
  });
});

describe("TwoState configuration", () => {
  it("aliases resolve to the four parameterizations", () => {
    expect(resolveParameterization("natural")).toBe("two_state_natural");
    expect(resolveParameterization("ratio")).toBe("two_state_ratio");
    expect(resolveParameterization("fano")).toBe("two_state_mean_fano");
    expect(resolveParameterization("mean_fano")).toBe("two_state_mean_fano");
    expect(resolveParameterization("delta")).toBe("two_state_moment_delta");
    expect(resolveParameterization("moment_delta")).toBe("two_state_moment_delta");
  });

  it("priors table of the SCRIBE two-state models, constrained and unconstrained", () => {
    const base = { nCells: 3, nGenes: 2 };
    const fam = (cfg: ReturnType<typeof makeConfig>, n: string) =>
      latentSiteSpecs(cfg).find((s) => s.name === n)!.family;
    const nat = makeConfig("twostate", { ...base, parameterization: "natural" });
    expect(latentSiteSpecs(nat).map((s) => s.name)).toEqual(["mu", "burst_size", "k_off"]);
    expect(fam(nat, "mu")).toEqual({ kind: "lognormal", loc: 0, scale: 1 });
    expect(fam(nat, "burst_size")).toEqual({ kind: "lognormal", loc: 0, scale: 1.5 });
    expect(fam(nat, "k_off")).toEqual({ kind: "lognormal", loc: 3, scale: 2 });
    const ratio = makeConfig("twostatevcp", { ...base, parameterization: "ratio", unconstrained: true });
    expect(latentSiteSpecs(ratio).map((s) => s.name)).toEqual([
      "mu",
      "burst_size",
      "switching_ratio",
      "p_capture",
    ]);
    expect(fam(ratio, "mu")).toEqual({ kind: "tnormal", loc: 0, scale: 1, transform: "exp" });
    expect(fam(ratio, "burst_size")).toEqual({ kind: "tnormal", loc: 0, scale: 1.5, transform: "softplus" });
    expect(fam(ratio, "switching_ratio")).toEqual({
      kind: "tnormal",
      loc: 3,
      scale: 2,
      transform: "softplus",
    });
    expect(fam(ratio, "p_capture")).toEqual({ kind: "tnormal", loc: 0, scale: 1, transform: "sigmoid" });
    const fano = makeConfig("twostate", { ...base, parameterization: "fano", unconstrained: true });
    expect(fam(fano, "excess_fano")).toMatchObject({ loc: 0, scale: 1.5 });
    expect(fam(fano, "concentration")).toMatchObject({ loc: 3, scale: 2 });
    const delta = makeConfig("twostate", { ...base, parameterization: "delta", unconstrained: true });
    expect(fam(delta, "inv_concentration")).toEqual({
      kind: "tnormal",
      loc: -2,
      scale: 2,
      transform: "sigmoid",
    });
    const deltaC = makeConfig("twostate", { ...base, parameterization: "delta" });
    expect(fam(deltaC, "inv_concentration")).toEqual({ kind: "beta", a: 1, b: 50 });
    // positive_transform: {"mu": "exp"} by default; a global string or a per-parameter entry wins
    expect(
      makeConfig("twostate", {
        ...base,
        parameterization: "natural",
        unconstrained: true,
        positiveTransform: "softplus",
      }).positiveTransform.mu,
    ).toBe("softplus");
    const per = makeConfig("twostate", {
      ...base,
      parameterization: "natural",
      unconstrained: true,
      positiveTransform: { k_off: "exp" },
    });
    expect([per.positiveTransform.mu, per.positiveTransform.k_off, per.positiveTransform.burst_size]).toEqual(
      ["exp", "exp", "softplus"],
    );
    expect(makeConfig("nbdm", base).positiveTransform.mu).toBe("softplus");
    // priors option: tuples on the extras, and the "regime" key (k_off for natural)
    const pr = makeConfig("twostate", {
      ...base,
      parameterization: "natural",
      priors: { burst_size: [1, 0.5], regime: [4, 1] },
    });
    expect(pr.priors.base.burst_size).toEqual([1, 0.5]);
    expect(pr.priors.base.k_off).toEqual([4, 1]);
    expect(
      makeConfig("twostate", { ...base, parameterization: "delta", priors: { regime: [2, 30] } }).priors.base
        .inv_concentration,
    ).toEqual([2, 30]);
    expect(nat.nQuadNodes).toBe(128);
    expect(makeConfig("twostate", { ...base, parameterization: "natural", nQuadNodes: 64 }).nQuadNodes).toBe(
      64,
    );
  });

  it("restrictions: clear errors", () => {
    const base = { nCells: 3, nGenes: 2 };
    expect(() => makeConfig("twostate", base)).toThrow(/twostate needs a TwoState parameterization/);
    expect(() => makeConfig("twostate", { ...base, parameterization: "canonical" })).toThrow(
      /needs a TwoState parameterization/,
    );
    expect(() => makeConfig("twostatevcp", { ...base, parameterization: "mean_odds" })).toThrow(
      /needs a TwoState parameterization/,
    );
    expect(() => makeConfig("nbvcp", { ...base, parameterization: "natural" })).toThrow(
      /use it with model twostate or twostatevcp/,
    );
    expect(() =>
      makeConfig("twostatevcp", { ...base, parameterization: "natural", priors: { phi_capture: [1, 1] } }),
    ).toThrow(/p_capture only/);
    expect(() =>
      makeConfig("twostatevcp", {
        ...base,
        nComponents: 2,
        parameterization: "natural",
        annotationLogits: tensor([
          [3, 0],
          [0, 3],
          [0, 0],
        ]),
      }),
    ).toThrow(/does not support annotation priors/);
    expect(() =>
      makeConfig("twostate", {
        ...base,
        parameterization: "natural",
        unconstrained: true,
        priors: { probability: "gaussian" },
      }),
    ).toThrow(/no p\/phi/);
    expect(() =>
      makeConfig("twostate", { ...base, parameterization: "natural", priors: { organism: "human" } }),
    ).toThrow(/twostatevcp/);
    expect(() =>
      makeConfig("twostate", { ...base, parameterization: "natural", mixtureParams: "gate", nComponents: 2 }),
    ).toThrow(/not a sampled parameter/);
    expect(() => makeConfig("twostate", { ...base, parameterization: "natural", nQuadNodes: 0 })).toThrow(
      /nQuadNodes/,
    );
    expect(() => makeConfig("nbdm", { ...base, nQuadNodes: 64 })).toThrow(/only to the TwoState models/);
    expect(() => makeConfig("nbdm", { ...base, priors: { regime: [1, 1] } })).toThrow(
      /TwoState parameterizations/,
    );
    expect(() => makeConfig("twostate", { ...base, parameterization: "natural", muPriorLoc: [1] })).toThrow(
      /muPriorLoc must hold 2/,
    );
  });
});

describe("data-driven mu anchor (SCRIBE two-state models)", () => {
  // 4 cells × 3 genes; gene 2 is all zeros (floored at 1e−3)
  const rows = [
    [1, 10, 0],
    [3, 20, 0],
    [0, 30, 0],
    [4, 100, 0],
  ];
  const counts = tensor(rows);
  const colMean = [2, 40, 0];
  const base = { nCells: 4, nGenes: 3 };
  const expectLoc = (got: number[], nu: number, inv: (x: number) => number) =>
    got.forEach((v, g) => {
      expect(Math.abs(v - inv(Math.min(Math.max(colMean[g]! / nu, 1e-3), 1e6)))).toBeLessThan(1e-9);
    });

  it("twostate: log(mean) (ν̄ = 1); softplus⁻¹ with a softplus mu", async () => {
    const cfg = makeConfig("twostate", { ...base, parameterization: "natural" });
    expect(await twoStateMeanCapture(cfg, counts)).toBe(1);
    expectLoc(await twoStateMuPriorLoc(cfg, counts), 1, Math.log);
    const sp = makeConfig("twostate", {
      ...base,
      parameterization: "natural",
      unconstrained: true,
      positiveTransform: { mu: "softplus" },
    });
    expectLoc(await twoStateMuPriorLoc(sp, counts), 1, (y) => Math.log(Math.expm1(y)));
  });

  it("twostatevcp: ν̄ = 0.5 (Beta(1,1)), α/(α+β) of a flat prior, mean(L_c)/M₀ (biology-informed)", async () => {
    const flat = makeConfig("twostatevcp", { ...base, parameterization: "ratio" });
    expect(await twoStateMeanCapture(flat, counts)).toBe(0.5);
    expectLoc(await twoStateMuPriorLoc(flat, counts), 0.5, Math.log);
    const beta = makeConfig("twostatevcp", {
      ...base,
      parameterization: "ratio",
      priors: { p_capture: [2, 6] },
    });
    expect(await twoStateMeanCapture(beta, counts)).toBeCloseTo(0.25, 12);
    expectLoc(await twoStateMuPriorLoc(beta, counts), 0.25, Math.log);
    // library sizes 11, 23, 30, 104 → mean 42; M₀ = 1000 → ν̄ = 0.042
    const bio = makeConfig("twostatevcp", {
      ...base,
      parameterization: "ratio",
      priors: { capture_efficiency: [Math.log(1000), 0.3] },
    });
    expect(await twoStateMeanCapture(bio, counts)).toBeCloseTo(0.042, 12);
    expectLoc(await twoStateMuPriorLoc(bio, counts), 0.042, Math.log);
    // an estimate outside (0, 1) falls back to 0.5
    const big = makeConfig("twostatevcp", {
      ...base,
      parameterization: "ratio",
      priors: { capture_efficiency: [Math.log(10), 0.3] },
    });
    expect(await twoStateMeanCapture(big, counts)).toBe(0.5);
  });
});
