import { readFileSync } from "node:fs";
import { sum, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { gaussLegendre01, PoissonBeta } from "@scribe/distributions";
import { afterAll, describe, expect, it } from "vitest";
import { gradCheck, seededRandom } from "../helpers/numeric.js";
import { kummerLogPmf } from "./poisson-beta-kummer.js";
import { f64, loadRef, num } from "./refvec-helpers.js";

// PoissonBeta log-pmf (composite Gauss–Legendre: power substitutions at q = 0 and 1, a window in
// logit(q) around the mode) against references computed by other methods:
// - ../shared/data/refvec/poisson_beta.json (mpmath 1F1, checked by tanh-sinh quadrature);
// - test/fixtures/refvec/poisson_beta_grid.mpmath.json (poisson_beta_grid.mpmath.py beside it: mpmath 1F1 at 40 and 60
//   digits) on a grid α, β ∈ {0.05 … 50}, λ ∈ {0.01 … 1000}, u ∈ {0 … 300, ≈ mean}, and a
//   "wide" random set α ∈ [0.01, 300], β ∈ [0.01, 2000], λ ∈ [1e-3, 1e5], u ≤ 3000;
// - the Kummer series summed in float64 (poisson-beta-kummer.ts) with its analytic gradient.
// Errors are |got − want| / max(1, |want|): log-pmfs near 0 are compared absolutely. The floor
// is float64 cancellation in u log λ − log u! + log ∫ (terms of size u log u): ~1e-12 at u ~ 1e3.
// The 256-node Gauss–Legendre rule this replaces was off by up to 0.73 for α or β < 1.

const ERR = (got: number, want: number) => Math.abs(got - want) / Math.max(1, Math.abs(want));
const MP: { grid: number[][]; wide: number[][] } = JSON.parse(
  readFileSync(new URL("../fixtures/refvec/poisson_beta_grid.mpmath.json", import.meta.url), "utf8"),
);
const col = (rows: number[][], j: number, scale = 1) =>
  tensor(new Float64Array(rows.map((r) => r[j]! * scale)));
/** Log-pmfs of rows [α, β, λ, u, …] in one batch (λ split as rate λ/ν, capture ν). */
function batchLogProb(
  rows: number[][],
  opts: { capture?: number; dtype?: "float32" | "float64"; numNodes?: number } = {},
) {
  const nu = opts.capture ?? 1;
  const c = (j: number, s = 1) =>
    opts.dtype === "float32" ? col(rows, j, s).astype("float32") : col(rows, j, s);
  const capture = c(0, 0).add(nu);
  return new PoissonBeta(c(0), c(1), c(2, 1 / nu), capture, { numNodes: opts.numNodes })
    .logProb(c(3))
    .dataSync();
}
function worstOf(rows: number[][], got: ArrayLike<number>): { err: number; at: number[] } {
  let w = { err: 0, at: [] as number[] };
  rows.forEach((r, i) => {
    const e = ERR(got[i]!, r[4]!);
    if (!(e <= w.err)) w = { err: Number.isNaN(e) ? Infinity : e, at: r.slice(0, 4) };
  });
  return w;
}

const report: Record<string, unknown> = {};
afterAll(() => console.log("PoissonBeta worst errors:", JSON.stringify(report)));

describe("PoissonBeta log-pmf vs shared/data/refvec/poisson_beta.json", () => {
  const cases = loadRef("poisson_beta.json");
  const worst: Record<string, number> = {};
  afterAll(() => {
    report.sharedRefvec = worst;
  });
  for (const c of cases) {
    const p = c.params as Record<string, number>;
    it(`${c.tag} (α=${p.alpha}, β=${p.beta}, r=${p.rate}, ν=${p.capture}) u=${c.x}`, () => {
      const d = new PoissonBeta(f64(p.alpha!), f64(p.beta!), f64(p.rate!), f64(p.capture!));
      const got = d.logProb(f64(c.x as number)).item();
      const want = num(c.expected);
      const e = ERR(got, want);
      worst[c.tag] = Math.max(worst[c.tag] ?? 0, e);
      // measured ≤ 1.5e-13 (U-shaped, bimodal, NB-like λ = 1e4 cases alike)
      expect(e, `got ${got}, want ${want}`).toBeLessThanOrEqual(5e-13);
    });
  }

  it("SCRIBE two-state models table, exact column (to the 6 decimals printed; GL K=256 was off by 6e-3)", () => {
    const table: [number, number, number, number, number][] = [
      [0, 2, 20, 5, -0.414233],
      [1, 2, 20, 5, -1.386917],
      [5, 2, 20, 5, -7.257855],
      [5, 5, 0.5, 50, -11.224328],
      [10, 1, 1, 10, -3.177349],
      [3, 0.1, 0.1, 20, -4.122623],
      [50, 5, 0.5, 50, -3.141033],
      [0, 0.5, 0.5, 10, -1.695318],
    ];
    for (const [u, a, b, r, want] of table) {
      const got = new PoissonBeta(f64(a), f64(b), f64(r)).logProb(f64(u)).item();
      expect(Math.abs(got - want)).toBeLessThan(6e-7);
    }
  });
});

describe("PoissonBeta log-pmf vs mpmath (poisson_beta_grid.mpmath.json)", () => {
  it("grid α, β ∈ [0.05, 50], λ ≤ 1e3, u ≤ 1000: ≤ 5e-13 (float64, 192 nodes)", () => {
    const w = worstOf(MP.grid, batchLogProb(MP.grid));
    report.mpmathGrid = w;
    // measured 1.5e-13 (at u ≈ λ = 1e3: the cancellation floor above)
    expect(w.err, JSON.stringify(w.at)).toBeLessThanOrEqual(5e-13);
    // the same grid through a capture probability (λ = r·ν)
    expect(worstOf(MP.grid, batchLogProb(MP.grid, { capture: 0.3 })).err).toBeLessThanOrEqual(5e-13);
  });

  it("wide set α ∈ [0.01, 300], β ∈ [0.01, 2000], λ ≤ 1e5, u ≤ 3000: ≤ 5e-11", () => {
    const w = worstOf(MP.wide, batchLogProb(MP.wide));
    report.mpmathWide = w;
    // measured 1.3e-11 (u ≈ λ ≈ 4e4); random α ≈ 0.016, λ ≈ 8e4, u = 0 cases reach ~1e-10
    expect(w.err, JSON.stringify(w.at)).toBeLessThanOrEqual(5e-11);
  });

  it("more nodes agree (384: ≤ 5e-13 on the grid); float32 (default 120 nodes) ≤ 2e-5", () => {
    const w384 = worstOf(MP.grid, batchLogProb(MP.grid, { numNodes: 384 }));
    expect(w384.err, JSON.stringify(w384.at)).toBeLessThanOrEqual(5e-13);
    const w32 = worstOf(MP.grid, batchLogProb(MP.grid, { dtype: "float32" }));
    report.float32Grid = w32;
    // float32 rounding of terms of size u log λ (~7e3 at u = λ = 1e3); the rule itself is ≲ 3e-7
    expect(w32.err, JSON.stringify(w32.at)).toBeLessThanOrEqual(2e-5);
  });
});

describe("PoissonBeta vs the Kummer series (float64) and its gradients", () => {
  const AB = [0.05, 0.1, 0.3, 0.9, 1, 1.17, 2.5, 7, 20, 50];
  const rows: number[][] = [];
  for (const a of AB)
    for (const b of AB)
      for (const lam of [0.02, 0.7, 12, 150, 1000]) {
        const m = Math.round((lam * a) / (a + b));
        for (const u of new Set([0, 2, 17, 250, m])) rows.push([a, b, lam, u]);
      }
  const ref = rows.map(([a, b, lam, u]) => kummerLogPmf(a!, b!, lam!, u!));

  it("values: ≤ 5e-12 (the float64 series itself is good to ~2e-12 here)", () => {
    const got = batchLogProb(rows.map((r, i) => [...r, ref[i]!.lp]));
    const w = worstOf(
      rows.map((r, i) => [...r, ref[i]!.lp]),
      got,
    );
    report.kummer = w;
    expect(w.err, JSON.stringify(w.at)).toBeLessThanOrEqual(5e-12);
  });

  it("gradients in α, β, rate and capture match the series' analytic derivatives", () => {
    const nu = 0.7;
    const params = {
      alpha: col(rows, 0),
      beta: col(rows, 1),
      rate: col(rows, 2, 1 / nu),
      capture: col(rows, 0, 0).add(nu),
    };
    const u = col(rows, 3);
    const [, g] = valueAndGrad((p: Record<string, Tensor>) =>
      sum(new PoissonBeta(p.alpha!, p.beta!, p.rate!, p.capture!).logProb(u)),
    )(params);
    const gr = g as Record<string, Tensor>;
    const [ga, gb, grate, gcap] = ["alpha", "beta", "rate", "capture"].map((k) => gr[k]!.dataSync());
    const worst = { alpha: 0, beta: 0, rate: 0, capture: 0 };
    rows.forEach(([, , lam, uu], i) => {
      const k = ref[i]!;
      worst.alpha = Math.max(worst.alpha, ERR(ga![i]!, k.dAlpha));
      worst.beta = Math.max(worst.beta, ERR(gb![i]!, k.dBeta));
      // r ∂/∂r = ν ∂/∂ν = λ ∂/∂λ = u − λ + (series part): compare on the scale of its terms
      const scale = Math.max(1, lam!, uu!);
      worst.rate = Math.max(worst.rate, Math.abs(grate![i]! * (lam! / nu) - k.dLam * lam!) / scale);
      worst.capture = Math.max(worst.capture, Math.abs(gcap![i]! * nu - k.dLam * lam!) / scale);
    });
    report.kummerGrad = worst;
    // measured ≲ 1.5e-12 (α, β relative; λ ∂/∂λ relative to max(1, λ, u))
    for (const [name, e] of Object.entries(worst)) expect(e, name).toBeLessThanOrEqual(2e-11);
  });

  it("gradients match central finite differences for U-shaped and bursty laws", () => {
    const inputs = [
      { values: new Float64Array([0.05, 0.3, 0.5, 2.5, 0.1]), shape: [5] },
      { values: new Float64Array([0.05, 0.4, 0.5, 0.2, 30]), shape: [5] },
      { values: new Float64Array([200, 50, 20, 700, 40]), shape: [5] },
      { values: new Float64Array([0.3, 0.95, 0.9, 0.6, 0.99]), shape: [5] },
    ];
    const value = tensor(new Float64Array([0, 3, 20, 400, 1]));
    const f = (xs: Tensor[]) => sum(new PoissonBeta(xs[0]!, xs[1]!, xs[2]!, xs[3]!).logProb(value));
    const { worst, where } = gradCheck(f, inputs, [true, true, true, true]);
    expect(worst, where).toBeLessThan(1e-6);
  });
});

describe("PoissonBeta edge cases", () => {
  it("capture 0 (λ = 0): log-pmf 0 at u = 0 and −∞ above; tiny λ is the Beta mass", () => {
    const d = new PoissonBeta(f64(0.3), f64(2), f64(5), f64(0));
    expect(Math.abs(d.logProb(f64(0)).item())).toBeLessThan(1e-14);
    expect(d.logProb(f64(2)).item()).toBe(-Infinity);
    const lp = new PoissonBeta(f64(0.3), f64(2), f64(1e-9)).logProb(f64(0)).item();
    expect(Math.abs(lp - kummerLogPmf(0.3, 2, 1e-9, 0).lp)).toBeLessThan(1e-14);
  });

  it("the pmf sums to 1 (U-shaped, bimodal, NB-like)", () => {
    for (const [a, b, lam, hi] of [
      [0.3, 0.4, 50, 400],
      [0.1, 0.2, 200, 800],
      [2, 200, 2000, 600],
    ] as const) {
      const grid = tensor(new Float64Array(Array.from({ length: hi + 1 }, (_, i) => i)));
      const p = new PoissonBeta(f64(a), f64(b), f64(lam)).logProb(grid).dataSync();
      let s = 0;
      for (const v of p) s += Math.exp(v);
      expect(Math.abs(s - 1)).toBeLessThan(1e-12);
    }
  });

  it("float32 [cells, genes] batch from broadcast parameters (the two-state likelihood's layout)", () => {
    // genes: α, β, r of shape [G]; cells: capture [C, 1]; counts [C, G]. A regression test: the
    // window edges once differed between a fused (double) and a stored (float32) evaluation.
    const G = 12;
    const C = 9;
    const unif = seededRandom(17);
    const logUniform = (lo: number, hi: number) => lo * (hi / lo) ** unif();
    const alpha = Array.from({ length: G }, () => logUniform(0.05, 50));
    const beta = Array.from({ length: G }, () => logUniform(0.05, 50));
    const rate = Array.from({ length: G }, () => logUniform(0.5, 1000));
    const nu = Array.from({ length: C }, () => logUniform(0.05, 1));
    const counts = Array.from({ length: C * G }, () => Math.floor(logUniform(1, 300)) - 1);
    const make = (dtype: "float32" | "float64") => {
      const t = (v: number[], shape: number[]) => tensor(new Float64Array(v), { shape }).astype(dtype);
      return {
        d: (a: Tensor, b: Tensor, r: Tensor) =>
          new PoissonBeta(a, b, r, t(nu, [C, 1]), { validateArgs: false }),
        a: t(alpha, [G]),
        b: t(beta, [G]),
        r: t(rate, [G]),
        u: t(counts, [C, G]),
      };
    };
    const p64 = make("float64");
    const want = p64.d(p64.a, p64.b, p64.r).logProb(p64.u).dataSync();
    const p32 = make("float32");
    const got = p32.d(p32.a, p32.b, p32.r).logProb(p32.u).dataSync();
    for (let i = 0; i < want.length; i++) {
      expect(Number.isFinite(got[i]!), `element ${i}`).toBe(true);
      expect(ERR(got[i]!, want[i]!), `element ${i}`).toBeLessThan(2e-5);
    }
    const [, g] = valueAndGrad((p: Record<string, Tensor>) => sum(p32.d(p.a!, p.b!, p.r!).logProb(p32.u)))({
      a: p32.a,
      b: p32.b,
      r: p32.r,
    });
    for (const t of Object.values(g as Record<string, Tensor>))
      for (const v of t.dataSync()) expect(Number.isFinite(v)).toBe(true);
    // the smallest case that gave NaN
    const f32 = (v: number[], shape: number[]) => tensor(new Float32Array(v), { shape });
    const small = new PoissonBeta(
      f32([2, 3], [2]),
      f32([3, 1.5], [2]),
      f32([5, 9], [2]),
      f32([1, 0.5], [2, 1]),
    );
    const lp = small.logProb(f32([1, 1, 1, 1], [2, 2])).dataSync();
    const cells = [
      [2, 3, 5, 1],
      [3, 1.5, 9, 1],
      [2, 3, 2.5, 1],
      [3, 1.5, 4.5, 1],
    ];
    cells.forEach(([a, b, lam, u], i) => {
      expect(ERR(lp[i]!, kummerLogPmf(a!, b!, lam!, u!).lp)).toBeLessThan(2e-6);
    });
  });

  it("numNodes below 6 is rejected", () => {
    expect(() => new PoissonBeta(1, 1, 1, 1, { numNodes: 5 })).toThrow(/numNodes/);
  });

  it("Gauss–Legendre rule integrates polynomials of degree 2K − 1 exactly", () => {
    for (const K of [3, 16, 256]) {
      const { nodes, weights } = gaussLegendre01(K);
      for (const deg of [0, 1, 5, 2 * K - 1]) {
        let s = 0;
        for (let i = 0; i < K; i++) s += weights[i]! * nodes[i]! ** deg;
        expect(Math.abs(s - 1 / (deg + 1))).toBeLessThan(1e-14);
      }
    }
  });
});
