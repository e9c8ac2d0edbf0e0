import { handlers, key, random, type SampleMessage, seed, type Tensor, tensor, trace } from "@scribe/core";
import { twoStateElementLogLikelihood, twoStateLogLikelihood, twostate, twostatevcp } from "@scribe/models";
import { describe, expect, it } from "vitest";
import { loadRef } from "../distributions/refvec-helpers.js";
import { lcgInts, naturalMap, poissonBetaLogPmf } from "./twostate-reference.js";

// Model and guide traces of twostate / twostatevcp (site names, shapes, deterministic sites),
// and the model's log-likelihood against the exact Poisson–Beta pmf of twostate-reference.ts.

const arr = (t: { dataSync(): ArrayLike<number | boolean> }) => Array.from(t.dataSync(), Number);
const site = (tr: Map<string, unknown>, n: string) => tr.get(n) as SampleMessage;
const shapeOf = (tr: Map<string, unknown>, n: string) => [...site(tr, n).value!.shape];

const C = 6;
const G = 4;
const counts = random.poisson(key(1), tensor(3), [C, G]);

// SCRIBE two-state models: every parameterization emits these, after the extras it derives (k_off, burst_size,
// concentration), in this order.
const ALWAYS_DERIVED = [
  "k_on",
  "alpha",
  "beta",
  "r_hat",
  "eta_act",
  "effective_burst_size",
  "alpha_floor_active",
  "beta_floor_active",
];
const DERIVED_ORDER: Record<string, string[]> = {
  natural: ALWAYS_DERIVED,
  ratio: ["k_off", ...ALWAYS_DERIVED],
  fano: ["k_off", "burst_size", ...ALWAYS_DERIVED],
  delta: ["k_off", "burst_size", "concentration", ...ALWAYS_DERIVED],
};
const SAMPLED: Record<string, string[]> = {
  natural: ["mu", "burst_size", "k_off"],
  ratio: ["mu", "burst_size", "switching_ratio"],
  fano: ["mu", "excess_fano", "concentration"],
  delta: ["mu", "excess_fano", "inv_concentration"],
};

describe("TwoState traces", () => {
  for (const p of ["natural", "ratio", "fano", "delta"] as const) {
    it(`twostate ${p}: sampled extras, gene-rank deterministic sites, counts [C, G]`, () => {
      const { model } = twostate({ nCells: C, nGenes: G, parameterization: p, nQuadNodes: 32 });
      const tr = trace(seed(model, key(0))).getTrace(counts);
      expect([...tr.keys()]).toEqual([...SAMPLED[p]!, ...DERIVED_ORDER[p]!, "cells", "counts"]);
      for (const n of SAMPLED[p]!) {
        expect(site(tr, n).type).toBe("sample");
        expect(shapeOf(tr, n)).toEqual([G]);
      }
      for (const n of DERIVED_ORDER[p]!) {
        expect(site(tr, n).type).toBe("deterministic");
        expect(shapeOf(tr, n)).toEqual([G]);
      }
      expect(site(tr, "alpha_floor_active").value!.dtype).toBe("bool");
      expect(shapeOf(tr, "counts")).toEqual([C, G]);
      expect(site(tr, "counts").isObserved).toBe(true);
      // deterministic values follow from the sampled ones
      const v = (n: string) => arr(site(tr, n).value!);
      const want = SAMPLED[p]!.map(v);
      const full = {
        natural: "two_state_natural",
        ratio: "two_state_ratio",
        fano: "two_state_mean_fano",
        delta: "two_state_moment_delta",
      }[p];
      v("alpha").forEach((a, g) => {
        const m = naturalMap(full, want[0]![g]!, want[1]![g]!, want[2]![g]!);
        const clamped = Math.min(Math.max(m.alpha, 0.05), 1000);
        expect(Math.abs(a - clamped) / clamped).toBeLessThan(1e-4);
        expect(v("k_on")[g]).toBe(a);
        expect(Math.abs(v("eta_act")[g]! - Math.log(a / v("beta")[g]!))).toBeLessThan(1e-4);
      });
    });
  }

  it("twostatevcp minibatch: p_capture in the cell plate [B], counts [B, G]", () => {
    const { model, guide } = twostatevcp({ nCells: C, nGenes: G, parameterization: "ratio", nQuadNodes: 32 });
    const tr = trace(seed(model, key(0))).getTrace(counts, 3);
    expect(shapeOf(tr, "p_capture")).toEqual([3]);
    expect(shapeOf(tr, "counts")).toEqual([3, G]);
    const gt = trace(seed(guide, key(0))).getTrace(counts, 3);
    expect([...gt.keys()]).toEqual([
      "mu_loc",
      "mu_scale",
      "mu",
      "burst_size_loc",
      "burst_size_scale",
      "burst_size",
      "switching_ratio_loc",
      "switching_ratio_scale",
      "switching_ratio",
      "cells",
      "p_capture_alpha",
      "p_capture_beta",
      "p_capture",
    ]);
    expect(shapeOf(gt, "p_capture")).toEqual([3]);
    // guide starts at the prior hyper-parameters: LogNormal(0, 1.5) burst size, LogNormal(3, 2) ratio
    expect(arr(site(gt, "burst_size_scale").value!)).toEqual([1.5, 1.5, 1.5, 1.5]);
    expect(arr(site(gt, "switching_ratio_loc").value!)).toEqual([3, 3, 3, 3]);
  });

  it("twostatevcp with the biology-informed prior: eta_capture sampled, p_capture deterministic", () => {
    const { model, guide } = twostatevcp({
      nCells: C,
      nGenes: G,
      parameterization: "delta",
      priors: { organism: "human" },
      nQuadNodes: 32,
    });
    const tr = trace(seed(model, key(0))).getTrace(counts);
    expect(site(tr, "eta_capture").type).toBe("sample");
    expect(site(tr, "p_capture").type).toBe("deterministic");
    expect(shapeOf(tr, "p_capture")).toEqual([C]);
    const gt = trace(seed(guide, key(0))).getTrace(counts);
    expect(shapeOf(gt, "eta_capture_raw_loc")).toEqual([C]);
  });

  it("mixtures: component axis on the sampled params and on α, β, r̂; mixtureParams 'mean'", () => {
    const { model } = twostatevcp({
      nCells: C,
      nGenes: G,
      parameterization: "natural",
      nComponents: 3,
      nQuadNodes: 32,
    });
    const tr = trace(seed(model, key(0))).getTrace(counts);
    expect(shapeOf(tr, "mixing_weights")).toEqual([3]);
    for (const n of ["mu", "burst_size", "k_off", "alpha", "beta", "r_hat", "alpha_floor_active"])
      expect(shapeOf(tr, n)).toEqual([3, G]);
    expect(shapeOf(tr, "counts")).toEqual([C, G]);
    const m = twostate({
      nCells: C,
      nGenes: G,
      parameterization: "fano",
      nComponents: 2,
      mixtureParams: "mean",
      nQuadNodes: 32,
    });
    const t2 = trace(seed(m.model, key(0))).getTrace(counts);
    expect(shapeOf(t2, "mu")).toEqual([2, G]);
    expect(shapeOf(t2, "excess_fano")).toEqual([G]);
    expect(shapeOf(t2, "alpha")).toEqual([2, G]);
    expect(m.config.mixtureParams).toEqual(["mu"]);
  });

  it("the mu guide and prior start at muPriorLoc", () => {
    const loc = [0.5, -1, 2, 3];
    const { model, guide } = twostate({
      nCells: C,
      nGenes: G,
      parameterization: "natural",
      unconstrained: true,
      muPriorLoc: loc,
      nQuadNodes: 32,
    });
    const gt = trace(seed(guide, key(0))).getTrace(counts);
    arr(site(gt, "mu_loc").value!).forEach((v, g) => {
      expect(v).toBeCloseTo(loc[g]!, 6);
    });
    const tr = trace(seed(model, key(0))).getTrace(counts);
    const prior = site(tr, "mu").fn as unknown as { baseDist: { loc: Tensor } };
    arr(prior.baseDist.loc).forEach((v, g) => {
      expect(v).toBeCloseTo(loc[g]!, 6);
    });
  });
});

describe("TwoState log-likelihood vs the exact Poisson–Beta pmf", () => {
  // twostatevcp, natural parameterization, values with no clamp: α = mu/b, β = k_off, r̂ = mu + b·k_off
  const mu = [2, 6, 15, 40, 0.8];
  const b = [1, 2, 0.5, 8, 0.4];
  const koff = [3, 1.5, 20, 4, 1.2];
  const nu = [1, 0.5, 0.25, 0.8, 0.1, 0.6, 0.35];
  const Gs = mu.length;
  const Cs = nu.length;
  const u = lcgInts(11, Cs * Gs, 25);
  const U = tensor(Array.from({ length: Cs }, (_, c) => u.slice(c * Gs, (c + 1) * Gs)));
  const nat = mu.map((m, g) => naturalMap("two_state_natural", m, b[g]!, koff[g]!));
  const exact = (c: number, g: number, mapped = nat) =>
    poissonBetaLogPmf(u[c * Gs + g]!, mapped[g]!.alpha, mapped[g]!.beta, mapped[g]!.rHat * nu[c]!);

  it("model trace: per-cell log-density of `counts` (float32, default nodes)", () => {
    const { model } = twostatevcp({ nCells: Cs, nGenes: Gs, parameterization: "natural" });
    const fixed = { mu: tensor(mu), burst_size: tensor(b), k_off: tensor(koff), p_capture: tensor(nu) };
    const tr = trace(seed(handlers.substitute(model, fixed), key(0))).getTrace(U);
    const s = site(tr, "counts");
    const lp = arr(s.fn.logProb(s.value!));
    expect(lp.length).toBe(Cs);
    lp.forEach((v, c) => {
      let want = 0;
      for (let g = 0; g < Gs; g++) want += exact(c, g);
      expect(Math.abs(v - want), `cell ${c}: ${v} vs ${want}`).toBeLessThan(1e-4 * Math.abs(want) + 1e-4);
    });
    // α, β and r̂ in the trace are the closed forms
    arr(site(tr, "r_hat").value!).forEach((r, g) => {
      expect(Math.abs(r - nat[g]!.rHat) / nat[g]!.rHat).toBeLessThan(1e-6);
    });
  });

  it("model trace, 2-component mixture: log Σ_k π_k Π_g f_k(u_cg)", () => {
    const { model } = twostatevcp({ nCells: Cs, nGenes: Gs, parameterization: "natural", nComponents: 2 });
    const mu2 = mu.map((m) => 2 * m + 1);
    const nat2 = mu2.map((m, g) => naturalMap("two_state_natural", m, b[g]!, koff[g]!));
    const pi = [0.3, 0.7];
    const fixed = {
      mixing_weights: tensor(pi),
      mu: tensor([mu, mu2]),
      burst_size: tensor([b, b]),
      k_off: tensor([koff, koff]),
      p_capture: tensor(nu),
    };
    const tr = trace(seed(handlers.substitute(model, fixed), key(0))).getTrace(U);
    const s = site(tr, "counts");
    arr(s.fn.logProb(s.value!)).forEach((v, c) => {
      const l = [nat, nat2].map((mp, k) => {
        let t = Math.log(pi[k]!);
        for (let g = 0; g < Gs; g++) t += exact(c, g, mp);
        return t;
      });
      const mx = Math.max(...l);
      const want = mx + Math.log(l.reduce((a, x) => a + Math.exp(x - mx), 0));
      expect(Math.abs(v - want)).toBeLessThan(1e-4 * Math.abs(want) + 1e-4);
    });
  });

  it("twoStateLogLikelihood: per cell, per gene, weights, split components", () => {
    const params = {
      alpha: tensor(nat.map((x) => x.alpha)),
      beta: tensor(nat.map((x) => x.beta)),
      rHat: tensor(nat.map((x) => x.rHat)),
      pCapture: tensor(nu),
    };
    const cell = arr(twoStateLogLikelihood(U, params, { returnBy: "cell", cellChunk: 3 }));
    const gene = arr(twoStateLogLikelihood(U, params, { returnBy: "gene" }));
    for (let c = 0; c < Cs; c++) {
      let want = 0;
      for (let g = 0; g < Gs; g++) want += exact(c, g);
      expect(Math.abs(cell[c]! - want)).toBeLessThan(1e-4 * Math.abs(want) + 1e-4);
    }
    for (let g = 0; g < Gs; g++) {
      let want = 0;
      for (let c = 0; c < Cs; c++) want += exact(c, g);
      expect(Math.abs(gene[g]! - want)).toBeLessThan(1e-4 * Math.abs(want) + 1e-4);
    }
    const w = [1, 2, 0, 0.5, 1];
    const weighted = arr(twoStateLogLikelihood(U, params, { returnBy: "cell", weights: tensor(w) }));
    weighted.forEach((v, c) => {
      let want = 0;
      for (let g = 0; g < Gs; g++) want += w[g]! * exact(c, g);
      expect(Math.abs(v - want)).toBeLessThan(1e-4 * Math.abs(want) + 1e-4);
    });
    const mix = {
      ...params,
      alpha: tensor(
        [params.alpha.dataSync() as Float32Array, params.alpha.dataSync() as Float32Array].map((x) =>
          Array.from(x),
        ),
      ),
      mixingWeights: tensor([0.25, 0.75]),
    };
    const split = twoStateLogLikelihood(U, mix, { returnBy: "cell", splitComponents: true });
    expect([...split.shape]).toEqual([Cs, 2]);
    arr(split).forEach((v, i) => {
      const c = Math.floor(i / 2);
      let want = Math.log(i % 2 === 0 ? 0.25 : 0.75);
      for (let g = 0; g < Gs; g++) want += exact(c, g);
      expect(Math.abs(v - want)).toBeLessThan(1e-4 * Math.abs(want) + 1e-4);
    });
  });

  it("float64 path vs the mpmath reference vectors (smooth Beta laws, α, β ≥ 1)", () => {
    const cases = loadRef("poisson_beta.json").filter((c) => {
      const p = c.params as Record<string, number>;
      return p.alpha! >= 1 && p.beta! >= 1;
    });
    expect(cases.length).toBeGreaterThan(40);
    for (const c of cases) {
      const p = c.params as Record<string, number>;
      const f = (x: number) => tensor(new Float64Array([x]), { shape: [1] });
      const got = twoStateElementLogLikelihood(tensor(new Float64Array([c.x as number]), { shape: [1, 1] }), {
        alpha: f(p.alpha!),
        beta: f(p.beta!),
        rHat: f(p.rate!),
        pCapture: f(p.capture!),
      }).item();
      const want = c.expected as number;
      expect(Math.abs(got - want), `${c.tag} u=${c.x}: ${got} vs ${want}`).toBeLessThan(
        1e-8 * Math.max(1, Math.abs(want)),
      );
      // and the independent series agrees with the reference
      expect(
        Math.abs(poissonBetaLogPmf(c.x as number, p.alpha!, p.beta!, p.rate! * p.capture!) - want),
      ).toBeLessThan(1e-8 * Math.max(1, Math.abs(want)));
    }
  });
});
