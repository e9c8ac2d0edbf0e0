import { key, type Tensor } from "@scribe/core";
import {
  buildAdaptationSchedule,
  checkpointRange,
  DualAveraging,
  findReasonableStepSize,
  hamiltonian,
  isTurning,
  leapfrog,
  MassMatrix,
  NutsWorkspace,
  newPhasePoint,
  nutsTransition,
  popcount,
  RngStream,
  tensorPotentialAsync,
  Welford,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";
import { randomArray, seededRandom } from "../helpers/numeric.js";

const gauss = (x: Float64Array, g: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    g[i] = x[i]!;
    s += 0.5 * x[i]! ** 2;
  }
  return s;
};

function pointAt(z: number[], r: number[], mass: MassMatrix) {
  const p = newPhasePoint(z.length);
  p.z.set(z);
  p.r.set(r);
  p.pe = gauss(p.z, p.g);
  mass.velocity(p.r, p.v);
  return p;
}

describe("leapfrog", () => {
  it("is reversible: L steps forward then L backward returns to the start", () => {
    const mass = new MassMatrix(3, false, new Float64Array([1, 2, 0.5]));
    const p = pointAt([0.3, -1.2, 2], [1, 0.5, -0.7], mass);
    for (let i = 0; i < 25; i++) leapfrog(p, 0.1, mass, gauss);
    for (let i = 0; i < 25; i++) leapfrog(p, -0.1, mass, gauss);
    expect(Math.max(...p.z.map((v, i) => Math.abs(v - [0.3, -1.2, 2][i]!)))).toBeLessThan(1e-12);
    expect(Math.max(...p.r.map((v, i) => Math.abs(v - [1, 0.5, -0.7][i]!)))).toBeLessThan(1e-12);
  });

  it("has an energy error of order ε² on a harmonic oscillator (dense metric too)", () => {
    const errAt = (eps: number, dense: boolean) => {
      const mass = dense
        ? new MassMatrix(2, true, new Float64Array([1, 0.3, 0.3, 1]))
        : new MassMatrix(2, false);
      const p = pointAt([1, 0.5], [0.2, -0.4], mass);
      const h0 = hamiltonian(p);
      let worst = 0;
      const steps = Math.round(2 / eps);
      for (let i = 0; i < steps; i++) {
        leapfrog(p, eps, mass, gauss);
        worst = Math.max(worst, Math.abs(hamiltonian(p) - h0));
      }
      return worst;
    };
    for (const dense of [false, true]) {
      const ratio = errAt(0.1, dense) / errAt(0.05, dense);
      expect(ratio).toBeGreaterThan(3.5);
      expect(ratio).toBeLessThan(4.5);
    }
  });

  it("works through a tensor potential (valueAndGrad) with the same numbers", async () => {
    const f = tensorPotentialAsync((x: Tensor) => x.square().sum().mul(0.5));
    const g1 = new Float64Array(3);
    const g2 = new Float64Array(3);
    const x = new Float64Array([0.1, -2, 3]);
    expect(await f(x, g1)).toBeCloseTo(gauss(x, g2), 12);
    expect(Array.from(g1)).toEqual(Array.from(g2));
  });
});

describe("dual averaging", () => {
  it("converges to the step size where a known acceptance function meets the target", () => {
    // Acceptance exp(−ε²/2): the target 0.8 is met at ε* = √(−2 log 0.8).
    const da = new DualAveraging(0.8);
    da.restart(Math.log(10));
    for (let t = 0; t < 3000; t++) da.update(Math.exp(-(Math.exp(da.x) ** 2) / 2));
    expect(Math.exp(da.xBar)).toBeCloseTo(Math.sqrt(-2 * Math.log(0.8)), 2);
  });

  it("uses the Hoffman–Gelman update on the first step", () => {
    const da = new DualAveraging(0.8);
    da.restart(Math.log(10));
    da.update(0.3); // hBar = 0.5/11, x = μ − √1/0.05·hBar, xBar = x
    expect(da.hBar).toBeCloseTo(0.5 / 11, 15);
    expect(da.x).toBeCloseTo(Math.log(10) - 20 * (0.5 / 11), 12);
    expect(da.xBar).toBeCloseTo(da.x, 15);
  });
});

describe("windowed adaptation schedule", () => {
  it("matches Stan's windows", () => {
    expect(buildAdaptationSchedule(1000)).toEqual([
      [0, 74],
      [75, 99],
      [100, 149],
      [150, 249],
      [250, 449],
      [450, 949],
      [950, 999],
    ]);
    expect(buildAdaptationSchedule(10)).toEqual([[0, 9]]);
    expect(buildAdaptationSchedule(100)).toEqual([
      [0, 14],
      [15, 89],
      [90, 99],
    ]);
    expect(buildAdaptationSchedule(150)).toEqual([
      [0, 74],
      [75, 99],
      [100, 149],
    ]);
    expect(buildAdaptationSchedule(200)).toEqual([
      [0, 74],
      [75, 149],
      [150, 199],
    ]);
    expect(buildAdaptationSchedule(0)).toEqual([]);
  });
});

describe("Welford", () => {
  const rand = seededRandom(7);
  const n = 200;
  const d = 4;
  const rows = Array.from({ length: n }, () => randomArray(rand, d, -3, 3));
  for (const r of rows) r[1] = r[0]! * 2 + r[1]!;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
  const cov = (i: number, j: number) =>
    rows.reduce((s, r) => s + (r[i]! - mean[i]!) * (r[j]! - mean[j]!), 0) / (n - 1);

  it("matches the two-pass mean and variance (diagonal)", () => {
    const w = new Welford(d, false);
    for (const r of rows) w.update(r);
    const v = w.covariance(false);
    for (let j = 0; j < d; j++) {
      expect(w.mean[j]).toBeCloseTo(mean[j]!, 12);
      expect(v[j]).toBeCloseTo(cov(j, j), 11);
    }
  });

  it("matches the two-pass covariance (dense) and applies Stan's regularization", () => {
    const w = new Welford(d, true);
    for (const r of rows) w.update(r);
    const c = w.covariance(false);
    const reg = w.covariance(true);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        expect(c[i * d + j]).toBeCloseTo(cov(i, j), 11);
        const expected = (n / (n + 5)) * cov(i, j) + (i === j ? 1e-3 * (5 / (n + 5)) : 0);
        expect(reg[i * d + j]).toBeCloseTo(expected, 11);
      }
    w.reset();
    expect(w.count).toBe(0);
  });
});

describe("mass matrix", () => {
  it("draws momenta with covariance M = (M⁻¹)⁻¹ (dense)", () => {
    const inv = new Float64Array([2, 0.6, 0.6, 0.5]);
    const mass = new MassMatrix(2, true, inv);
    const rng = new RngStream(key(3));
    const r = new Float64Array(2);
    const n = 40000;
    let s00 = 0;
    let s01 = 0;
    let s11 = 0;
    for (let i = 0; i < n; i++) {
      mass.sampleMomentum(rng, r);
      s00 += r[0]! ** 2;
      s01 += r[0]! * r[1]!;
      s11 += r[1]! ** 2;
    }
    const det = 2 * 0.5 - 0.36; // M = inv⁻¹
    expect(s00 / n).toBeCloseTo(0.5 / det, 1);
    expect(s01 / n).toBeCloseTo(-0.6 / det, 1);
    expect(s11 / n).toBeCloseTo(2 / det, 1);
  });
});

describe("U-turn criterion", () => {
  it("checkpoint slots cover the subtrees that end at each odd leaf", () => {
    expect(popcount(0b1011)).toBe(3);
    expect(checkpointRange(1)).toEqual([0, 0]);
    expect(checkpointRange(3)).toEqual([0, 1]);
    expect(checkpointRange(5)).toEqual([1, 1]);
    expect(checkpointRange(7)).toEqual([0, 2]);
    expect(checkpointRange(11)).toEqual([1, 2]);
    // Brute force: the start leaf s of each subtree of size 2^k ending at n stored its checkpoint in slot popcount(s).
    for (let n = 1; n < 256; n += 2) {
      const [lo, hi] = checkpointRange(n);
      const slots: number[] = [];
      for (let k = 1; (n + 1) % 2 ** k === 0; k++) slots.push(popcount(n + 1 - 2 ** k));
      expect(slots.sort((a, b) => a - b)).toEqual(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));
    }
  });

  it("flags a trajectory whose end momenta point against the momentum sum", () => {
    const f = (xs: number[]) => new Float64Array(xs);
    // Half a circle: momenta (0,1) → (−1,0) → (0,−1): sum (−1,0); the first end has v·ρ = 0.
    expect(isTurning(f([0, 1]), f([0, -1]), f([-1, 0]))).toBe(true);
    // A quarter circle is not turning yet.
    expect(isTurning(f([0.7, 0.7]), f([-0.7, 0.7]), f([0, 2]))).toBe(false);
    // Straight line: never turning.
    expect(isTurning(f([1, 0]), f([1, 0]), f([5, 0]))).toBe(false);
  });
});

describe("step-size heuristic and tree building on a standard Gaussian", () => {
  const dim = 5;
  const mass = new MassMatrix(dim, false);
  const start = () => pointAt([0.5, -0.3, 1, 0.2, -1], [0, 0, 0, 0, 0], mass);

  it("moves up from a small step and down from a large one", () => {
    const small = findReasonableStepSize(
      start(),
      newPhasePoint(dim),
      0.01,
      mass,
      gauss,
      new RngStream(key(1)),
    );
    const large = findReasonableStepSize(
      start(),
      newPhasePoint(dim),
      100,
      mass,
      gauss,
      new RngStream(key(1)),
    );
    expect(small).toBeGreaterThan(0.1);
    expect(large).toBeLessThan(10);
    expect(small).toBeLessThan(5);
    expect(large).toBeGreaterThan(0.05);
  });

  it.each([
    [0.01, 10, false],
    [1, 4, false],
    [100, 1, true],
  ])("step size %s: depth and divergence as expected", (eps, depth, diverging) => {
    const ws = new NutsWorkspace(dim, 10);
    const p = start();
    const info = nutsTransition(p, ws, {
      stepSize: eps,
      mass,
      potential: gauss,
      rng: new RngStream(key(2)),
      maxTreeDepth: 10,
      maxDeltaEnergy: 1000,
    });
    expect(info.diverging).toBe(diverging);
    // Tiny steps: the oscillator's half period π takes ~314 steps, so the tree reaches depth 9 or so.
    if (eps === 0.01) {
      expect(info.treeDepth).toBeGreaterThanOrEqual(8);
      expect(info.treeDepth).toBeLessThanOrEqual(depth);
      expect(info.acceptProb).toBeGreaterThan(0.99);
    }
    if (eps === 1) {
      expect(info.treeDepth).toBeGreaterThanOrEqual(2);
      expect(info.treeDepth).toBeLessThanOrEqual(depth);
      expect(info.acceptProb).toBeGreaterThan(0.5);
    }
    if (eps === 100) expect(info.numSteps).toBe(1);
    expect(info.numSteps).toBeLessThanOrEqual(2 ** info.treeDepth - 1);
    expect(p.z.every(Number.isFinite)).toBe(true);
  });
});

describe("non-finite energies", () => {
  it("a potential that drops to −∞ counts as a divergence, not as an infinitely good point", () => {
    // log-density overflowing to +∞ beyond |x| > 3 (as a mis-specified model can).
    const bad = (x: Float64Array, g: Float64Array): number => {
      g[0] = x[0]!;
      return Math.abs(x[0]!) > 3 ? Number.NEGATIVE_INFINITY : 0.5 * x[0]! ** 2;
    };
    const mass = new MassMatrix(1, false);
    const p = newPhasePoint(1);
    p.z[0] = 2.9;
    p.pe = bad(p.z, p.g);
    const info = nutsTransition(p, new NutsWorkspace(1, 10), {
      stepSize: 0.5,
      mass,
      potential: bad,
      rng: new RngStream(key(0)),
      maxTreeDepth: 10,
      maxDeltaEnergy: 1000,
    });
    expect(Number.isFinite(p.pe)).toBe(true);
    expect(Math.abs(p.z[0]!)).toBeLessThanOrEqual(3);
    expect(info.numSteps).toBeGreaterThan(0);
  });
});
