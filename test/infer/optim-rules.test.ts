import { type Tensor, tensor } from "@scribe/core";
import {
  Adagrad,
  Adam,
  adagrad,
  adam,
  clipByGlobalNorm,
  clippedAdam,
  cosineDecay,
  exponentialDecay,
  globalNorm,
  momentum,
  type Optimizer,
  piecewiseConstant,
  rmsprop,
  sgd,
  withGlobalNormClipping,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";

// f(x) = Σ 0.5·a·(x − c)², gradient a·(x − c), elementwise.
const A = [2, 0.5, 3];
const C = [1, -2, 0.5];
const X0 = [0, 0, 4];
const gradOf = (x: number[]) => x.map((xi, i) => A[i]! * (xi - C[i]!));
const vals = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);

/** Run `steps` updates with tensors (float64) and return the param after each step. */
function runTensor(opt: Optimizer, steps: number): number[][] {
  let s = opt.init({ x: tensor(X0, { dtype: "float64" }) });
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const x = vals(opt.getParams(s).x!);
    s = opt.update({ x: tensor(gradOf(x), { dtype: "float64" }) }, s);
    out.push(vals(opt.getParams(s).x!));
  }
  opt.dispose(s);
  return out;
}

/** The same in plain JS with a per-element update written out by hand. */
function runPlain(
  steps: number,
  upd: (i: number, g: number, x: number, st: Record<string, number>) => number,
): number[][] {
  const x = [...X0];
  const st = x.map(() => ({}) as Record<string, number>);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const g = gradOf(x);
    for (let j = 0; j < x.length; j++) x[j] = upd(i, g[j]!, x[j]!, st[j]!);
    out.push([...x]);
  }
  return out;
}

function expectClose(a: number[][], b: number[][], tol = 1e-12) {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      expect(Math.abs(v - b[i]![j]!)).toBeLessThan(tol * Math.max(1, Math.abs(b[i]![j]!)));
    });
  });
}

describe("update sequences match hand-written plain-JS updates", () => {
  it("SGD", () => {
    expectClose(
      runTensor(sgd(0.1), 3),
      runPlain(3, (_i, g, x) => x - 0.1 * g),
    );
  });

  it("Momentum", () => {
    expectClose(
      runTensor(momentum(0.1, 0.8), 4),
      runPlain(4, (_i, g, x, s) => {
        s.v = 0.8 * (s.v ?? 0) + g;
        return x - 0.1 * s.v;
      }),
    );
  });

  it("Adam: first three steps", () => {
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-8;
    const plain = runPlain(3, (i, g, x, s) => {
      s.m = b1 * (s.m ?? 0) + (1 - b1) * g;
      s.v = b2 * (s.v ?? 0) + (1 - b2) * g * g;
      const mh = s.m / (1 - b1 ** (i + 1));
      const vh = s.v / (1 - b2 ** (i + 1));
      return x - (0.05 * mh) / (Math.sqrt(vh) + eps);
    });
    // First Adam step moves every coordinate by ≈ lr against the gradient's sign.
    expect(plain[0]!.map((v, j) => Math.abs(v - X0[j]!))).toEqual(
      plain[0]!.map(() => expect.closeTo(0.05, 6)),
    );
    expectClose(runTensor(adam(0.05), 3), plain);
    expectClose(runTensor(new Adam(0.05), 3), plain);
  });

  it("ClippedAdam clips elementwise and decays the learning rate", () => {
    const plain = runPlain(3, (i, g0, x, s) => {
      const g = Math.max(-1, Math.min(1, g0));
      s.m = 0.9 * (s.m ?? 0) + 0.1 * g;
      s.v = 0.999 * (s.v ?? 0) + 0.001 * g * g;
      const lr = 0.05 * 0.5 ** i;
      return x - (lr * (s.m / (1 - 0.9 ** (i + 1)))) / (Math.sqrt(s.v / (1 - 0.999 ** (i + 1))) + 1e-8);
    });
    expectClose(runTensor(clippedAdam(0.05, { clipNorm: 1, lrd: 0.5 }), 3), plain);
  });

  it("Adagrad (with momentum)", () => {
    const plain = runPlain(4, (_i, g, x, s) => {
      s.G = (s.G ?? 0) + g * g;
      const scaled = s.G > 0 ? g / Math.sqrt(s.G) : 0;
      s.m = 0.1 * scaled + 0.9 * (s.m ?? 0);
      return x - 0.3 * s.m;
    });
    expectClose(runTensor(adagrad(0.3), 4), plain);
    expectClose(runTensor(new Adagrad(0.3), 4), plain);
  });

  it("RMSProp", () => {
    const plain = runPlain(4, (_i, g, x, s) => {
      s.a = 0.9 * (s.a ?? 0) + 0.1 * g * g;
      return x - (0.01 * g) / Math.sqrt(s.a + 1e-8);
    });
    expectClose(runTensor(rmsprop(0.01), 4), plain);
  });

  it("a schedule is evaluated at the 0-based step index", () => {
    const sched = (i: number) => 0.1 / (i + 1);
    expectClose(
      runTensor(sgd(sched), 3),
      runPlain(3, (i, g, x) => x - (0.1 / (i + 1)) * g),
    );
  });
});

describe("convergence on the quadratic", () => {
  const cases: [string, Optimizer, number][] = [
    ["sgd", sgd(0.2), 200],
    ["momentum", momentum(0.05), 400],
    ["adam", adam(0.05), 2000],
    ["clippedAdam", clippedAdam(0.05), 2000],
    ["adagrad", adagrad(0.5), 3000],
    ["rmsprop", rmsprop(0.003), 3000],
  ];
  for (const [name, opt, steps] of cases) {
    it(name, () => {
      const xs = runTensor(opt, steps);
      xs[xs.length - 1]!.forEach((v, j) => {
        expect(Math.abs(v - C[j]!)).toBeLessThan(2e-2);
      });
    });
  }
});

describe("state handling", () => {
  it("init copies the params; update checks names and shapes", () => {
    const x = tensor([1, 2]);
    const opt = sgd(0.1);
    const s = opt.init({ x });
    expect(opt.getParams(s).x).not.toBe(x);
    expect(() => opt.update({ y: tensor([1, 1]) }, s, { keepOld: true })).toThrow(
      /no gradient for param 'x'/,
    );
    expect(() => opt.update({ x: tensor([1, 1, 1]) }, s, { keepOld: true })).toThrow(/shape/);
    const s2 = opt.update({ x: tensor([1, 1]) }, s);
    expect(x.isDisposed).toBe(false);
    expect(s.params.x!.isDisposed).toBe(true);
    expect(s2.step).toBe(1);
    expect(vals(s2.params.x!)).toEqual([expect.closeTo(0.9, 6), expect.closeTo(1.9, 6)]);
  });
});

describe("clipping by global norm", () => {
  it("rescales to maxNorm only when the global norm exceeds it", () => {
    const g = { a: tensor([3, 0]), b: tensor([4]) };
    expect(globalNorm(g).item()).toBeCloseTo(5, 6);
    const c = clipByGlobalNorm(g, 1);
    expect(vals(c.a!)).toEqual([expect.closeTo(0.6, 6), 0]);
    expect(vals(c.b!)).toEqual([expect.closeTo(0.8, 6)]);
    const same = clipByGlobalNorm(g, 10);
    expect(vals(same.a!)).toEqual([3, 0]);
  });

  it("withGlobalNormClipping applies before the update", () => {
    const opt = withGlobalNormClipping(sgd(1), 1);
    let s = opt.init({ a: tensor([0, 0]), b: tensor([0]) });
    s = opt.update({ a: tensor([3, 0]), b: tensor([4]) }, s);
    expect(vals(opt.getParams(s).a!)).toEqual([expect.closeTo(-0.6, 6), 0]);
    expect(vals(opt.getParams(s).b!)).toEqual([expect.closeTo(-0.8, 6)]);
  });
});

describe("schedules", () => {
  it("exponential decay (continuous and staircase)", () => {
    const f = exponentialDecay(1, 10, 0.5);
    expect(f(0)).toBe(1);
    expect(f(10)).toBeCloseTo(0.5);
    expect(f(5)).toBeCloseTo(Math.SQRT1_2);
    expect(exponentialDecay(1, 10, 0.5, { staircase: true })(15)).toBe(0.5);
  });

  it("cosine decay", () => {
    const f = cosineDecay(2, 100, 0.1);
    expect(f(0)).toBeCloseTo(2);
    expect(f(50)).toBeCloseTo(2 * (0.9 * 0.5 + 0.1));
    expect(f(100)).toBeCloseTo(0.2);
    expect(f(1000)).toBeCloseTo(0.2);
  });

  it("piecewise constant switches after each boundary", () => {
    const f = piecewiseConstant([10, 20], [1, 0.1, 0.01]);
    expect([f(0), f(10), f(11), f(20), f(21)]).toEqual([1, 1, 0.1, 0.1, 0.01]);
    expect(() => piecewiseConstant([1], [1])).toThrow(/need 2 values/);
  });
});

describe("learning-rate arguments", () => {
  it("a misspelt learning rate fails when the optimizer is built, naming the optimizer", () => {
    // PyTorch's spelling: an options object where a number or schedule belongs
    expect(() => adam({ lr: 0.01 } as unknown as number)).toThrow(
      /adam: the learning rate .*got \{"lr":0.01\}/,
    );
    expect(() => momentum(-1)).toThrow(/momentum: the learning rate must be a positive/);
    expect(() => rmsprop(Number.NaN)).toThrow(/rmsprop: .*got NaN/);
  });

  it("a schedule yielding a non-finite rate fails at that step", () => {
    const opt = sgd((i) => (i < 1 ? 0.1 : Number.POSITIVE_INFINITY));
    let s = opt.init({ x: tensor(1) });
    s = opt.update({ x: tensor(2) }, s);
    expect(() => opt.update({ x: tensor(2) }, s)).toThrow(/schedule returned Infinity at step 1/);
  });
});
