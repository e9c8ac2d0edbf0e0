import {
  defineOp,
  elementwise,
  type MultiOutputFn,
  mul,
  registeredOps,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
} from "@scribe/core";
import { compiledLoopSources, setHoisting } from "@scribe/core/backend/cpu/codegen.js";
import { nb2LogProb, nb2Op } from "@scribe/distributions";
import { afterEach, describe, expect, it } from "vitest";
import { gradCheck, randomArray, seededRandom } from "../helpers/numeric.js";

/**
 * Per-argument hoisting (expr/loop-plan.ts, backend/cpu/codegen.ts): an op's values derived
 * from one broadcast argument are computed once per element of that argument and read from
 * tables. Checked against the ordinary body (hoisting off), closed forms and finite
 * differences, and every registered hoisted body against its op's ordinary body.
 */

afterEach(() => {
  setHoisting(true);
});

/** x·log a and its partials; log a is derived from a alone (the hoisted value). */
const xLogA = defineOp({
  name: "testXLogA",
  module: import.meta.url,
  arity: 2,
  outputs: ["value", "gradX", "gradA"],
  dtype: "float",
  cost: 20,
  testDomain: [
    { lo: -3, hi: 3 },
    { lo: 0.1, hi: 5 },
  ],
  cpu: {
    fn: (x: number, a: number) => ({ value: x * Math.log(a), gradX: Math.log(a), gradA: x / a }),
    hoisted: {
      arg: 1,
      values: [Math.log],
      fn: (x: number, a: number, logA: number) => ({ value: x * logA, gradX: logA, gradA: x / a }),
    },
  },
  wgsl: { fn: "sp_testXLogA" },
  wgslLib: {
    sp_testXLogA:
      "fn sp_testXLogA(x: f32, a: f32) -> vec3<f32> { return vec3<f32>(x * log(a), log(a), x / a); }",
  },
  vjp: (g, _args, outs) => [mul(g, outs[1]!), mul(g, outs[2]!)],
});

/** The sources of compiled loops that call a hoisted body. */
const hoistedLoops = () => [...compiledLoopSources().values()].filter((s) => s.includes("$h("));

describe("per-argument hoisting in the CPU loop planner", () => {
  it("computes a broadcast argument's derived values once per element of that argument (closed form)", () => {
    const rand = seededRandom(11);
    const x = randomArray(rand, 6 * 5, -3, 3);
    const a = randomArray(rand, 5, 0.1, 5);
    const before = hoistedLoops().length;
    const got = elementwise(xLogA, [tensor(x, { shape: [6, 5] }), tensor(a, { shape: [1, 5] })]).dataSync();
    // a 6 × 5 loop reading a 5-element argument: each element read 6 times, above the threshold
    expect(hoistedLoops().length).toBe(before + 1);
    // The same arithmetic as Math.log per element: equal bit for bit.
    got.forEach((v, i) => void expect(v).toBe(x[i]! * Math.log(a[i % 5]!)));
  });

  it("leaves an argument read about once per element unhoisted", () => {
    const rand = seededRandom(12);
    const before = hoistedLoops().length;
    // 3 × 4 over a 4-element argument: each element read 3 times, below the threshold of 4
    elementwise(xLogA, [
      tensor(randomArray(rand, 12, -3, 3), { shape: [3, 4] }),
      tensor(randomArray(rand, 4, 0.1, 5), { shape: [1, 4] }),
    ]).dataSync();
    expect(hoistedLoops().length).toBe(before);
  });

  it("hoists through an expanded view (stride 0) and a transposed one", () => {
    const rand = seededRandom(13);
    const x = randomArray(rand, 8 * 6, -3, 3);
    const a = randomArray(rand, 8, 0.1, 5);
    // a as a column (8 × 1) expanded to 8 × 6, and x read transposed (6 × 8 stored)
    const xt = tensor(x, { shape: [6, 8] }).transpose();
    const out = elementwise(xLogA, [xt, tensor(a, { shape: [8, 1] }).expand([8, 6])]).dataSync();
    for (let r = 0; r < 8; r++)
      for (let c = 0; c < 6; c++) expect(out[r * 6 + c]).toBe(x[c * 8 + r]! * Math.log(a[r]!));
  });

  it("gives hoisted gradients that match finite differences (float64)", () => {
    const rand = seededRandom(14);
    const inputs = [
      { values: randomArray(rand, 8 * 6, -3, 3), shape: [8, 6] },
      { values: randomArray(rand, 6, 0.1, 5), shape: [1, 6] },
    ];
    const weights = tensor(randomArray(rand, 48, -1, 1), { shape: [8, 6] });
    const { worst, where } = gradCheck((xs) => sum(mul(elementwise(xLogA, xs), weights)), inputs, [
      true,
      true,
    ]);
    // central differences with h = 1e-6: truncation and rounding both below 1e-8
    expect(worst, where).toBeLessThan(1e-6);
  });
});

describe("nb2's hoisted body (1/θ, lgamma θ, ψ θ per gene)", () => {
  // Counts 0 to 60 (above the direct range of 16 too), θ per gene on both sides of the
  // lgamma-difference bound (100), μ per cell and gene.
  const N = 12;
  const G = 8;
  const rand = seededRandom(21);
  const y = Float64Array.from(randomArray(rand, N * G, 0, 60, true), (v, i) => (i % 3 === 0 ? 0 : v));
  const logMu = randomArray(rand, N * G, -2, 4);
  const theta = Float64Array.from([0.02, 0.7, 3, 12, 55, 99, 140, 5000]);
  const run = () => {
    const Y = tensor(y, { shape: [N, G] });
    const [v, g] = valueAndGrad((p: { mu: Tensor; th: Tensor }) => nb2LogProb(Y, p.mu, p.th).sum())({
      mu: tensor(Float64Array.from(logMu, Math.exp), { shape: [N, G] }),
      th: tensor(theta, { shape: [1, G] }),
    });
    return { v: v.item(), gMu: g.mu.dataSync(), gTh: g.th.dataSync() };
  };

  it("equals the ordinary body over counts 0..60 and θ from 0.02 to 5000", () => {
    const before = hoistedLoops().length;
    const hoisted = run();
    expect(hoistedLoops().length).toBeGreaterThan(before);
    setHoisting(false);
    const plain = run();
    // lgamma(y+θ) − lgamma(θ) against the shift differences: both ~1e-15 relative of their
    // terms, the hoisted form loses at most 2 ulps of lgamma(θ+y) ≤ 6e2 (θ < 100, y ≤ 60)
    expect(Math.abs(hoisted.v - plain.v) / Math.abs(plain.v)).toBeLessThan(1e-13);
    plain.gMu.forEach(
      (p, i) => void expect(Math.abs(hoisted.gMu[i]! - p)).toBeLessThan(1e-13 * Math.max(1, Math.abs(p))),
    );
    plain.gTh.forEach(
      (p, i) => void expect(Math.abs(hoisted.gTh[i]! - p)).toBeLessThan(1e-12 * Math.max(1, Math.abs(p))),
    );
  });

  it("keeps log NB(0 | μ = 0, θ) = 0 where 1/θ overflows (θ subnormal)", () => {
    const hoisted = nb2Op.hoisted!;
    for (const th of [4e-320, 1e-300, 3]) {
      expect(nb2Op.evaluate(0, 0, th)[0]).toBe(-0);
      const out = (hoisted.fn as MultiOutputFn)(0, 0, th, ...hoisted.values.map((v) => v(th)));
      expect(out.logPmf).toBe(-0);
    }
  });

  it("gives gradients in μ and θ that match finite differences (float64)", () => {
    const inputs = [
      { values: y, shape: [N, G] },
      { values: Float64Array.from(logMu, Math.exp), shape: [N, G] },
      { values: theta, shape: [1, G] },
    ];
    const { worst, where } = gradCheck((xs) => sum(elementwise(nb2Op, xs)), inputs, [false, true, true]);
    expect(hoistedLoops().some((s) => s.includes("F_nb2$h("))).toBe(true);
    // h = 1e-6·max(1,|x|): truncation ~h²·f''' and rounding ~eps·|f|/h below 1e-8
    expect(worst, where).toBeLessThan(1e-6);
  });
});

describe("every registered hoisted body equals its op's ordinary body", () => {
  const ops = registeredOps().filter((op) => op.hoisted !== null);
  it("includes nb2 and nb2InSupport", () => {
    expect(ops.map((op) => op.name)).toEqual(expect.arrayContaining(["nb2", "nb2InSupport"]));
  });
  it.each(ops.map((op) => [op.name, op] as const))("%s over its test domain", (_name, op) => {
    const rand = seededRandom(31);
    const n = 400;
    const args = op.testDomain.map((d) => randomArray(rand, n, d.lo, d.hi, d.integer));
    const hoisted = op.hoisted!;
    const call = (f: (...a: never[]) => unknown, a: number[]) => {
      if (op.outputs === 1) return [(f as (...a: number[]) => number)(...a)];
      const out = (f as MultiOutputFn)(...a);
      return op.outputNames.map((name) => out[name]!);
    };
    for (let i = 0; i < n; i++) {
      const a = args.map((col) => col[i]!);
      const want = call(op.fn, a);
      const derived = hoisted.values.map((v) => v(a[hoisted.arg]!));
      const got = call(hoisted.fn, [...a, ...derived]);
      // the hoisted body may round differently (a precomputed reciprocal, a difference of
      // lgammas): 1e-12 relative, floor 1
      got.forEach((g, j) => {
        const w = want[j]!;
        expect(Math.abs(g - w), `${op.name} output ${j} at ${a.join(", ")}`).toBeLessThanOrEqual(
          1e-12 * Math.max(1, Math.abs(w)),
        );
      });
    }
  });
});
