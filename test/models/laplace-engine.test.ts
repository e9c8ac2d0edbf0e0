/**
 * The Laplace engine's algebra, checked independently in float64 (issue 19 "How it is
 * checked"): the Laplace marginal of one cell in 1-D against numerical integration, the
 * Woodbury / Sherman–Morrison Newton solve and log-determinant against dense linear algebra,
 * the observation gradients / curvatures and the M-step objective's gradients against
 * central finite differences, and the rescue of a diverged start.
 */
import { dispose, type Tensor, valueAndGrad } from "@scribe/core";
import { capacitanceCholesky } from "@scribe/models/laplace/low-rank-precision.js";
import { newtonEStep } from "@scribe/models/laplace/newton.js";
import {
  type LaplaceContext,
  laplaceLogMarginal,
  logJoint,
  newtonDirection,
  newtonMatrix,
} from "@scribe/models/laplace/newton-system.js";
import {
  multinomialAlrObservation,
  negativeBinomialObservation,
  type ObservationModel,
  poissonObservation,
} from "@scribe/models/laplace/observation.js";
import { describe, expect, it } from "vitest";
import { denseSigma, denseSolve, f64, makeContext } from "./laplace-helpers.js";

/** log Γ(x) by Lanczos (g = 7, n = 9; Numerical Recipes' coefficients), |error| < 1e−14 for x ≥ 0.5. */
function lgammaRef(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

async function read(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/**
 * A 1-D log joint f(x) = log p(u | x) + log N(x; μ, σ²) with its first four derivatives in
 * closed form (written here from the likelihoods, not from the engine).
 */
interface OneD {
  f(x: number): number;
  /** f', f'', f''', f'''' at x. */
  d(x: number): [number, number, number, number];
}

function normalPart(mu: number, s2: number) {
  return {
    f: (x: number) => -((x - mu) ** 2) / (2 * s2) - 0.5 * Math.log(2 * Math.PI * s2),
    d1: (x: number) => -(x - mu) / s2,
    d2: -1 / s2,
  };
}

/** The binomial-type part a x − b log(1 + e^{x − c}) shared by the NB (in x) and the 2-gene LNM. */
function logisticPart(a: number, b: number, c: number) {
  const sig = (x: number) => 1 / (1 + Math.exp(-(x - c)));
  const softplus = (v: number) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
  return {
    f: (x: number) => a * x - b * softplus(x - c),
    d: (x: number): [number, number, number, number] => {
      const s = sig(x);
      const v = s * (1 - s);
      return [a - b * s, -b * v, -b * v * (1 - 2 * s), -b * v * (1 - 6 * v)];
    },
  };
}

/** cst + a logistic part + a normal part (the NB and 2-gene LNM cases): the density and its derivatives. */
function logisticNormalDensity(
  cst: number,
  L: ReturnType<typeof logisticPart>,
  N: ReturnType<typeof normalPart>,
): OneD {
  return {
    f: (x) => cst + L.f(x) + N.f(x),
    d: (x) => {
      const [a1, a2, a3, a4] = L.d(x);
      return [a1 + N.d1(x), a2 + N.d2, a3, a4];
    },
  };
}

/** log ∫ exp f by the trapezoid rule over the mode ± 40 curvature sds (spectrally accurate here). */
function logIntegral(f: (x: number) => number, mode: number, a: number): number {
  const half = 40 / Math.sqrt(a);
  const n = 40_000;
  const h = (2 * half) / n;
  const f0 = f(mode);
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const w = i === 0 || i === n ? 0.5 : 1;
    s += w * Math.exp(f(mode - half + i * h) - f0);
  }
  return f0 + Math.log(s * h);
}

/** The mode of f by Newton in float64. */
function modeOf(p: OneD, x0: number): number {
  let x = x0;
  for (let i = 0; i < 100; i++) {
    const [g, h] = p.d(x);
    const step = -g / h;
    x += step;
    if (Math.abs(step) < 1e-14) break;
  }
  return x;
}

describe("Laplace marginal of one cell in 1-D vs numerical integration (float64)", () => {
  // Prior σ² = w² + d with rank 1. Laplace's error is O(1/a) (a = −f''(x̂)); with the
  // next term of the expansion, f''''/(8a²) + 5 f'''²/(24a³) (e.g. Tierney & Kadane 1986;
  // Bender & Orszag §6.4), what is left is O(1/a²) ≈ 1e−7 here: so "Laplace + the
  // independently derived correction = the integral to 1e−6 relative" checks every constant
  // (2π, log det ΣA, the normaliser) and the mode, and the Laplace value alone must differ
  // from the integral by the correction term (to 2 %).
  const w = 0.4;
  const dd = 0.09;
  const s2 = w * w + dd;
  const mu = 1.5;
  const cases: { name: string; obs: ObservationModel; build: () => { ctx: LaplaceContext; p: OneD } }[] = [
    {
      name: "PLN (Poisson-lognormal), u = 3000",
      obs: poissonObservation,
      build: () => {
        const u = 3000;
        const N = normalPart(mu, s2);
        const p: OneD = {
          f: (x) => u * x - Math.exp(x) - lgammaRef(u + 1) + N.f(x),
          d: (x) => [u - Math.exp(x) + N.d1(x), -Math.exp(x) + N.d2, -Math.exp(x), -Math.exp(x)],
        };
        const ctx = makeContext(
          poissonObservation,
          { mu: [mu], W: [w], d: [dd], k: 1 },
          { counts: [u], C: 1, G: 1, constant: [-lgammaRef(u + 1)] },
        );
        return { ctx, p };
      },
    },
    {
      name: "NBLN, u = 2000, r = 5000",
      obs: negativeBinomialObservation,
      build: () => {
        const u = 2000;
        const r = 5000;
        // log NB(u; mean e^x, size r) = lgΓ(u+r) − lgΓ(r) − lg u! + r log r + u x − (u+r) log(r + e^x)
        const L = logisticPart(u, u + r, Math.log(r));
        const cst =
          lgammaRef(u + r) - lgammaRef(r) - lgammaRef(u + 1) + r * Math.log(r) - (u + r) * Math.log(r);
        const N = normalPart(mu + 5, s2);
        const p = logisticNormalDensity(cst, L, N);
        const ctx = makeContext(
          negativeBinomialObservation,
          { mu: [mu + 5], W: [w], d: [dd], k: 1, logR: [Math.log(r)] },
          { counts: [u], C: 1, G: 1, constant: [-lgammaRef(u + 1)] },
        );
        return { ctx, p };
      },
    },
    {
      // the library offset o shifts the log rate: f(x) = u (x + o) − e^{x + o} − log u! + log N(x)
      name: "PLN with a log offset o = 0.8 (library size), u = 3000",
      obs: poissonObservation,
      build: () => {
        const u = 3000;
        const o = 0.8;
        const N = normalPart(mu + 5, s2);
        const p: OneD = {
          f: (x) => u * (x + o) - Math.exp(x + o) - lgammaRef(u + 1) + N.f(x),
          d: (x) => {
            const e = Math.exp(x + o);
            return [u - e + N.d1(x), -e + N.d2, -e, -e];
          },
        };
        const ctx = makeContext(
          poissonObservation,
          { mu: [mu + 5], W: [w], d: [dd], k: 1 },
          { counts: [u], C: 1, G: 1, constant: [-lgammaRef(u + 1)], offset: [o] },
        );
        return { ctx, p };
      },
    },
    {
      name: "NBLN with a log offset o = −1.2, u = 2000, r = 5000",
      obs: negativeBinomialObservation,
      build: () => {
        const u = 2000;
        const r = 5000;
        const o = -1.2;
        // as the NBLN case with the mean e^{x + o}: the logistic part's centre moves to log r − o
        const L = logisticPart(u, u + r, Math.log(r) - o);
        const cst =
          lgammaRef(u + r) -
          lgammaRef(r) -
          lgammaRef(u + 1) +
          r * Math.log(r) -
          (u + r) * Math.log(r) +
          u * o;
        const N = normalPart(mu + 6, s2);
        const p = logisticNormalDensity(cst, L, N);
        const ctx = makeContext(
          negativeBinomialObservation,
          { mu: [mu + 6], W: [w], d: [dd], k: 1, logR: [Math.log(r)] },
          { counts: [u], C: 1, G: 1, constant: [-lgammaRef(u + 1)], offset: [o] },
        );
        return { ctx, p };
      },
    },
    {
      name: "LNM with 2 genes (binomial in the ALR coordinate), N = 6000",
      obs: multinomialAlrObservation,
      build: () => {
        const u1 = 2200;
        const u2 = 3800;
        const n = u1 + u2;
        const L = logisticPart(u1, n, 0);
        const cst = lgammaRef(n + 1) - lgammaRef(u1 + 1) - lgammaRef(u2 + 1);
        const N = normalPart(-0.3, s2);
        const p = logisticNormalDensity(cst, L, N);
        const ctx = makeContext(
          multinomialAlrObservation,
          { mu: [-0.3], W: [w], d: [dd], k: 1 },
          { counts: [u1, u2], C: 1, G: 2, totals: [n], constant: [cst] },
        );
        return { ctx, p };
      },
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const { ctx, p } = c.build();
      const e = await newtonEStep(ctx, ctx.prior.mu.reshape([1, 1]), { maxSteps: 60, tolerance: 1e-13 });
      const [xHat] = await read(e.x);
      const lap = laplaceLogMarginal(ctx, e.x);
      const [engine] = await read(lap);
      const mode = modeOf(p, xHat!);
      const [, f2, f3, f4] = p.d(mode);
      const a = -f2;
      const quad = logIntegral(p.f, mode, a);
      const corr = f4 / (8 * a * a) + (5 * f3 * f3) / (24 * a * a * a);
      console.log(
        `${c.name}: mode engine ${xHat} vs ${mode}; log p quadrature ${quad}, Laplace ${engine}, ` +
          `Laplace + correction ${engine! + corr} (rel. diff ${Math.abs(engine! + corr - quad) / Math.abs(quad)}); ` +
          `correction ${corr}, Laplace − quadrature ${engine! - quad}`,
      );
      expect(e.converged).toBe(1);
      expect(Math.abs(xHat! - mode)).toBeLessThan(1e-9);
      expect(Math.abs(engine! + corr - quad) / Math.abs(quad)).toBeLessThan(1e-6);
      expect(Math.abs(engine! - quad + corr)).toBeLessThan(0.02 * Math.abs(corr));
      dispose([ctx, e.x, lap]);
    });
});

/** A small float64 problem: C cells, latent dimension n, rank 2. */
function smallProblem(obs: ObservationModel) {
  const C = 3;
  const k = 2;
  const G = obs === multinomialAlrObservation ? 6 : 5;
  const n = obs.latentDim(G);
  const counts = [0, 3, 1, 7, 2, 5, 12, 0, 4, 1, 9, 2, 0, 0, 6, 3, 1, 8];
  const cells = counts.slice(0, C * G);
  const totals = Array.from({ length: C }, (_, c) =>
    cells.slice(c * G, c * G + G).reduce((s, v) => s + v, 0),
  );
  const g = {
    mu: Array.from({ length: n }, (_, i) => 0.3 + 0.2 * i),
    W: Array.from({ length: n * k }, (_, i) => 0.3 * Math.sin(i + 1)),
    d: Array.from({ length: n }, (_, i) => 0.2 + 0.05 * i),
    k,
    ...(obs === negativeBinomialObservation
      ? { logR: Array.from({ length: G }, (_, i) => 0.5 + 0.3 * i) }
      : {}),
  };
  const x = Array.from({ length: C * n }, (_, i) => 0.5 * Math.cos(1.7 * i));
  // PLN / NBLN: a per-cell log offset (library size), so that path is differentiated too
  const offset = obs === multinomialAlrObservation ? {} : { offset: [0.3, -0.2, 0.5] };
  return { C, G, n, k, g, cells: { counts: cells, C, G, totals, ...offset }, x };
}

const models: [string, ObservationModel][] = [
  ["PLN", poissonObservation],
  ["NBLN", negativeBinomialObservation],
  ["LNM", multinomialAlrObservation],
];

describe.each(models)("%s: derivatives and the Woodbury solve (float64)", (_name, obs) => {
  it("gradient and curvature of log p(u | x) match central finite differences", async () => {
    const P = smallProblem(obs);
    const ctx = makeContext(obs, P.g, P.cells);
    const x = f64(P.x, [P.C, P.n]);
    const t = obs.terms(x, ctx.data, ctx.globals);
    const grad = await read(t.grad);
    const curv = await read(t.curvature);
    const v = t.rankOne ? await read(t.rankOne) : null;
    const h = 1e-5;
    const at = async (xs: number[]) => read(obs.logLik(f64(xs, [P.C, P.n]), ctx.data, ctx.globals));
    const gradAt = async (xs: number[]) => read(obs.terms(f64(xs, [P.C, P.n]), ctx.data, ctx.globals).grad);
    let worstG = 0;
    let worstH = 0;
    for (let i = 0; i < P.C * P.n; i++) {
      const c = Math.floor(i / P.n);
      const plus = P.x.slice();
      const minus = P.x.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const fd = ((await at(plus))[c]! - (await at(minus))[c]!) / (2 * h);
      worstG = Math.max(worstG, Math.abs(fd - grad[i]!) / (1 + Math.abs(fd)));
      // column i of the Hessian within cell c: −∂grad/∂x_i = diag(curv) − v vᵀ
      const gp = await gradAt(plus);
      const gm = await gradAt(minus);
      for (let j = 0; j < P.n; j++) {
        const fdH = -(gp[c * P.n + j]! - gm[c * P.n + j]!) / (2 * h);
        const row = c * P.n + j;
        const model = (j === i % P.n ? curv[i]! : 0) - (v ? v[row]! * v[i]! : 0);
        worstH = Math.max(worstH, Math.abs(fdH - model) / (1 + Math.abs(fdH)));
      }
    }
    console.log(`${obs.name}: worst relative error, gradient ${worstG}, negative Hessian ${worstH}`);
    expect(worstG).toBeLessThan(1e-7);
    expect(worstH).toBeLessThan(1e-7);
  });

  it("the Newton direction and log det(ΣA) equal a dense solve", async () => {
    const P = smallProblem(obs);
    const ctx = makeContext(obs, P.g, P.cells);
    const x = f64(P.x, [P.C, P.n]);
    const damping = 0.01;
    const dir = await read(newtonDirection(ctx, x, damping));
    const t = obs.terms(x, ctx.data, ctx.globals);
    const m = newtonMatrix(ctx, t.curvature, t.rankOne, damping);
    const logDet = await read(m.logDetSigmaA);
    const grad = await read(t.grad);
    const curv = await read(t.curvature);
    const v = t.rankOne ? await read(t.rankOne) : null;
    const S = denseSigma(P.g.W, P.g.d, P.n, P.k);
    const Sinv = new Array<number>(P.n * P.n).fill(0);
    for (let j = 0; j < P.n; j++) {
      const col = denseSolve(
        S,
        Array.from({ length: P.n }, (_, i) => (i === j ? 1 : 0)),
        P.n,
      ).x;
      for (let i = 0; i < P.n; i++) Sinv[i * P.n + j] = col[i]!;
    }
    const logDetS = denseSolve(S, new Array(P.n).fill(0), P.n).logDet;
    let worstDir = 0;
    let worstDet = 0;
    for (let c = 0; c < P.C; c++) {
      const A = Sinv.slice();
      for (let i = 0; i < P.n; i++) {
        A[i * P.n + i]! += curv[c * P.n + i]! + damping;
        if (v) for (let j = 0; j < P.n; j++) A[i * P.n + j]! -= v[c * P.n + i]! * v[c * P.n + j]!;
      }
      const r = P.x.slice(c * P.n, c * P.n + P.n).map((xi, i) => xi - P.g.mu[i]!);
      const g = Array.from(
        { length: P.n },
        (_, i) => grad[c * P.n + i]! - r.reduce((s, rj, j) => s + Sinv[i * P.n + j]! * rj, 0),
      );
      const sol = denseSolve(A, g, P.n);
      for (let i = 0; i < P.n; i++)
        worstDir = Math.max(worstDir, Math.abs(sol.x[i]! - dir[c * P.n + i]!) / (1 + Math.abs(sol.x[i]!)));
      worstDet = Math.max(worstDet, Math.abs(sol.logDet + logDetS - logDet[c]!));
    }
    console.log(`${obs.name}: Woodbury vs dense: direction ${worstDir}, log det(ΣA) ${worstDet}`);
    expect(worstDir).toBeLessThan(1e-10);
    expect(worstDet).toBeLessThan(1e-10);
  });

  it("the M-step objective's gradients in μ, W, log d (and log r) match finite differences", async () => {
    const P = smallProblem(obs);
    const base = makeContext(obs, P.g, P.cells);
    const x = f64(P.x, [P.C, P.n]);
    type Params = Record<string, Tensor>;
    const objective = (p: Params) => {
      const prior = { mu: p.mu!, W: p.W!, d: p.logD!.exp() };
      const ctx: LaplaceContext = {
        obs,
        prior,
        mChol: capacitanceCholesky(prior),
        data: base.data,
        globals: p.logR ? { logR: p.logR } : {},
      };
      return laplaceLogMarginal(ctx, x).sum();
    };
    const raw: Record<string, { v: number[]; shape: number[] }> = {
      mu: { v: P.g.mu, shape: [P.n] },
      W: { v: P.g.W, shape: [P.n, P.k] },
      logD: { v: P.g.d.map(Math.log), shape: [P.n] },
      ...(P.g.logR ? { logR: { v: P.g.logR, shape: [P.G] } } : {}),
    };
    const params = (over?: { name: string; i: number; h: number }): Params =>
      Object.fromEntries(
        Object.entries(raw).map(([k, { v, shape }]) => [
          k,
          f64(
            v.map((vi, i) => (over && over.name === k && over.i === i ? vi + over.h : vi)),
            shape,
          ),
        ]),
      );
    const [, grads] = valueAndGrad(objective)(params());
    const h = 1e-5;
    let worst = 0;
    for (const [name, { v }] of Object.entries(raw)) {
      const g = await read(grads[name]!);
      for (let i = 0; i < v.length; i++) {
        const [fp] = await read(objective(params({ name, i, h })));
        const [fm] = await read(objective(params({ name, i, h: -h })));
        const fd = (fp! - fm!) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - g[i]!) / (1 + Math.abs(fd)));
      }
    }
    console.log(
      `${obs.name}: M-step objective gradient vs finite differences: worst relative error ${worst}`,
    );
    expect(worst).toBeLessThan(1e-6);
  });
});

describe("Newton rescue", () => {
  it("cells started far from their mode or non-finite are rescued to the same mode as a good start", async () => {
    const P = smallProblem(poissonObservation);
    const ctx = makeContext(poissonObservation, P.g, P.cells);
    const good = await newtonEStep(ctx, f64(P.x, [P.C, P.n]), { maxSteps: 40, tolerance: 1e-10 });
    // cell 0 starts at −25 in every coordinate: with steps capped at 0.5, 3 steps cannot reach
    // it; cell 1 starts non-finite (restarted at μ by the rescue)
    const far = P.x.map((v, i) => (i < P.n ? -25 : i < 2 * P.n ? Number.NaN : v));
    const bad = await newtonEStep(ctx, f64(far, [P.C, P.n]), {
      maxSteps: 3,
      maxStep: 0.5,
      tolerance: 1e-10,
      rescueSteps: 400,
    });
    const a = await read(good.x);
    const b = await read(bad.x);
    const fa = await read(logJoint(ctx, good.x).value);
    const fb = await read(logJoint(ctx, bad.x).value);
    console.log(
      `rescue: converged ${bad.converged}, rescued ${bad.rescued}, failed ${bad.failed}; log joint ${fb[0]} vs ${fa[0]}`,
    );
    expect(good.converged).toBe(P.C);
    expect(bad.rescued).toBeGreaterThanOrEqual(1);
    expect(bad.failed).toBe(0);
    for (let i = 0; i < 2 * P.n; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6);
  });

  it("rejects bad Newton settings by name", async () => {
    const P = smallProblem(poissonObservation);
    const ctx = makeContext(poissonObservation, P.g, P.cells);
    await expect(newtonEStep(ctx, f64(P.x, [P.C, P.n]), { maxSteps: 0 })).rejects.toThrow(/maxSteps/);
    await expect(newtonEStep(ctx, f64(P.x, [P.C, P.n]), { tolerance: -1 })).rejects.toThrow(/tolerance/);
  });
});
