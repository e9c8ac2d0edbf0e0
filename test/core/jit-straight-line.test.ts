import { concat, exp, jit, key, random, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { STRAIGHT_LINE_MAX_PASS_ELEMENTS } from "@scribe/core/jit/straight-line.js";
import { nb2LogProb } from "@scribe/distributions";
import { describe, expect, it } from "vitest";

/**
 * `jit(f).straightLine(...)`: the recorded program as one generated JS function over flat
 * arrays. Its outputs are checked against the un-jitted function (eager evaluation, the
 * peer: the same arithmetic, so equal bit for bit) and against values computed here
 * independently (closed forms, finite differences).
 */

const flat = (ts: Tensor | Tensor[]) =>
  (Array.isArray(ts) ? ts : [ts]).flatMap((t) => Array.from(t.dataSync()));

describe("jit straight-line functions", () => {
  it("a value and gradient through a multi-output op equals eager evaluation and finite differences", () => {
    const y = tensor(
      [
        [0, 3, 1],
        [2, 0, 7],
      ],
      { dtype: "float64" },
    );
    // log-likelihood of NB2 counts with mean exp(a_i + b_j), concentration exp(b_j) + 1
    const value = (a: Tensor, b: Tensor) => nb2LogProb(y, exp(a).mul(exp(b)), exp(b).add(1)).sum();
    const f = (a: Tensor, b: Tensor) => {
      const [v, g] = valueAndGrad((p: { a: Tensor; b: Tensor }) => value(p.a, p.b))({ a, b });
      return concat([v.reshape([1]), g.a.reshape([2]), g.b.reshape([3])]);
    };
    const jf = jit(f);
    const shape = (x: number[], s: number[]) => tensor(x, { dtype: "float64", shape: s });
    const line = jf.straightLine(shape([0, 0], [2, 1]), shape([0, 0, 0], [1, 3]))!;
    expect(line).not.toBeNull();
    expect(line.inputSize).toBe(5);
    expect(line.outputSize).toBe(6);
    const out = new Float64Array(6);
    for (const x of [
      [0.1, -0.2, 0.3, -0.1, 0.5],
      [-1, 0.7, 1.2, 0.4, -0.6],
    ]) {
      line(x, out);
      const a = shape(x.slice(0, 2), [2, 1]);
      const b = shape(x.slice(2), [1, 3]);
      expect(Array.from(out)).toEqual(flat(f(a, b)));
      // Central differences of the value (eager), step 1e-6: error ~1e-10 against gradients of order 1.
      for (let i = 0; i < 5; i++) {
        const at = (h: number) => {
          const z = x.slice();
          z[i]! += h;
          return value(shape(z.slice(0, 2), [2, 1]), shape(z.slice(2), [1, 3])).item();
        };
        expect(out[1 + i]).toBeCloseTo((at(1e-6) - at(-1e-6)) / 2e-6, 6);
      }
    }
    jf.dispose();
  });

  it("reductions over one axis, max reductions and float32 arrays round as the cpu loops do", () => {
    const f = (x: Tensor) => [x.sum(0), x.max(1), x.exp().mean()];
    const jf = jit(f);
    const x32 = (v: number[]) => tensor(v, { dtype: "float32", shape: [3, 4] });
    const line = jf.straightLine(x32(new Array(12).fill(0)))!;
    expect(line.outputSize).toBe(4 + 3 + 1);
    const v = Array.from({ length: 12 }, (_, i) => Math.sin(i) * 3);
    const out = new Float64Array(8);
    line(v, out);
    expect(Array.from(out)).toEqual(flat(f(x32(v))));
    // Closed forms on the float32 inputs, in float64 (the loops accumulate in float64 and
    // store float32): agreement to float32 precision.
    const r = Array.from(Float32Array.from(v));
    const colSums = [0, 1, 2, 3].map((j) => r[j]! + r[4 + j]! + r[8 + j]!);
    const rowMax = [0, 1, 2].map((i) => Math.max(...r.slice(4 * i, 4 * i + 4)));
    const meanExp = r.reduce((s, t) => s + Math.exp(t), 0) / 12;
    const want = [...colSums, ...rowMax, meanExp];
    for (const [i, w] of want.entries())
      expect(Math.abs(out[i]! - w)).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(w)));
    jf.dispose();
  });

  it("a one-element float32 value passed between passes keeps its float32 rounding", () => {
    // The float32 sum (accumulated in float64, stored rounded) feeds a float64 pass: a value
    // kept unrounded between the passes would show in the float64 outputs.
    const f = (x: Tensor) => x.sum().astype("float64").mul(x.astype("float64"));
    const jf = jit(f);
    const x32 = (v: number[]) => tensor(v, { dtype: "float32" });
    const line = jf.straightLine(x32([0, 0, 0]))!;
    const v = [0.1, 0.2, 0.7];
    const out = new Float64Array(3);
    line(v, out);
    expect(Array.from(out)).toEqual(flat(f(x32(v))));
    const r = Float32Array.from(v);
    const sum32 = Math.fround(r[0]! + r[1]! + r[2]!);
    expect(Array.from(out)).toEqual(Array.from(r, (t) => sum32 * t));
    jf.dispose();
  });

  it("backend work that is not a fused pass (a matmul) runs inside the function", () => {
    const w = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { dtype: "float64" },
    );
    const f = (x: Tensor) => x.matmul(w).square().sum();
    const jf = jit(f);
    const line = jf.straightLine(tensor([[0, 0, 0]], { dtype: "float64" }))!;
    const out = new Float64Array(1);
    line([1, -1, 2], out);
    // x·W = [1 − 3 + 10, 2 − 4 + 12] = [8, 10]; 64 + 100
    expect(out[0]).toBe(164);
    expect(out[0]).toBe(f(tensor([[1, -1, 2]], { dtype: "float64" })).item());
    jf.dispose();
  });

  it("is null for a program that reads values, draws random numbers, or is not small", () => {
    const reads = jit((x: Tensor) => (x.sum().item() > 0 ? x.mul(2) : x.mul(-2)));
    expect(reads.straightLine(tensor([1, 2]))).toBeNull();
    const draws = jit((x: Tensor) => x.add(random.normal(key(0), [2])));
    expect(draws.straightLine(tensor([0, 0]))).toBeNull();
    const big = jit((x: Tensor) => x.square().sum());
    expect(big.straightLine(tensor(new Float64Array(STRAIGHT_LINE_MAX_PASS_ELEMENTS + 1)))).toBeNull();
    // a small one of the same function compiles
    expect(big.straightLine(tensor(new Float64Array(4)))).not.toBeNull();
    for (const f of [reads, draws, big]) f.dispose();
  });
});
