import {
  exp,
  fromTypedArray,
  max,
  mean,
  min,
  prod,
  sum,
  type Tensor,
  valueAndGrad,
  withBackend,
} from "@scribe/core";
import { nb2LogProb } from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { values, webgpu } from "./gpu-env.js";

/**
 * Reductions on WebGPU against float64 sums of the same float32 inputs, over shapes that take
 * each path of the shader: one thread per output (short rows), one workgroup per output
 * (many outputs), and split reductions (few outputs over many elements, e.g. a full sum, done
 * in two passes). Tolerance for sums: 4e-6 · Σ|x| (float32 terms, Kahan per thread and a
 * pairwise tree across threads: a few float32 roundings of the magnitude sum); max/min exact.
 */

// A deterministic pseudo-random float32 fill in [-1, 1) (an LCG: no dependence on our samplers).
function fill(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Float64 reference of a reduction of a row-major [rows, cols] array over `axis`. */
function reference(
  x: Float32Array,
  rows: number,
  cols: number,
  axis: 0 | 1 | "all",
  op: (a: number, v: number) => number,
  init: number,
) {
  const nOut = axis === "all" ? 1 : axis === 0 ? cols : rows;
  const out = new Float64Array(nOut).fill(init);
  const mag = new Float64Array(nOut);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const o = axis === "all" ? 0 : axis === 0 ? c : r;
      const v = x[r * cols + c]!;
      out[o] = op(out[o]!, v);
      mag[o]! += Math.abs(v);
    }
  return { out, mag };
}

const SHAPES: [number, number][] = [
  [7, 50], // one thread per output
  [300, 1000], // one workgroup per output (axis 1) / many outputs (axis 0)
  [3, 200_000], // few outputs over many elements: split along axis 1
  [1000, 1000], // full sum of 1e6: split
];

describe.skipIf(!webgpu)("webgpu reductions", () => {
  for (const [rows, cols] of SHAPES)
    for (const axis of [0, 1, "all"] as const)
      it(`sum, max and min of [${rows}, ${cols}] over ${axis}`, async () => {
        const x = fill(rows * cols, rows * 7919 + cols);
        const axes = axis === "all" ? undefined : [axis];
        const [gs, gmax, gmin] = await Promise.all(
          withBackend(webgpu!, () => {
            const t = fromTypedArray(x, [rows, cols]);
            return [sum(t, axes), max(t, axes), min(t, axes)];
          }).map(values),
        );
        const s = reference(x, rows, cols, axis, (a, v) => a + v, 0);
        for (let i = 0; i < s.out.length; i++)
          expect(Math.abs(gs![i]! - s.out[i]!)).toBeLessThanOrEqual(4e-6 * s.mag[i]!);
        expect(Array.from(gmax!)).toEqual(
          Array.from(reference(x, rows, cols, axis, Math.max, -Infinity).out),
        );
        expect(Array.from(gmin!)).toEqual(Array.from(reference(x, rows, cols, axis, Math.min, Infinity).out));
      });

  it("mean and prod of a long row (split path) match float64", async () => {
    const n = 100_000;
    // prod of values near 1, so the product stays in float32 range: 1 + x/n.
    const x = fill(n, 11).map((v) => 1 + v / 1000);
    const [gm, gp] = await Promise.all(
      withBackend(webgpu!, () => {
        const t = fromTypedArray(x, [1, n]);
        return [mean(t), prod(t)];
      }).map(values),
    );
    let m = 0;
    let logp = 0;
    for (const v of x) {
      m += v;
      logp += Math.log(v);
    }
    expect(Math.abs(gm![0]! - m / n)).toBeLessThan(4e-6);
    // A product of n float32 roundings: relative error grows like n·2^-24 at worst (6e-3 here);
    // rounding errors of a pairwise product partly cancel, so 1e-3.
    expect(Math.abs(gp![0]! / Math.exp(logp) - 1)).toBeLessThan(1e-3);
  });

  it("int32 sums are exact on the split path", async () => {
    const n = 300_000;
    const x = Int32Array.from(fill(n, 5), (v) => Math.round(v * 20));
    const [g] = await Promise.all(withBackend(webgpu!, () => [sum(fromTypedArray(x, [n]))]).map(values));
    expect(g![0]).toBe(x.reduce((a, b) => a + b, 0));
  });

  // The W1 workload at reduced size: one value (a full sum) and three gradients (sums over
  // cells, genes, and both) from one backward pass, vs the cpu backend in float64.
  it("the NB2 log-likelihood and its gradients match the cpu's float64", async () => {
    const [N, G] = [400, 1500];
    const u = fill(N * G, 3);
    const y = Float32Array.from(u, (v) => Math.floor(Math.abs(v) * 8));
    const logMu = Float32Array.from(fill(G, 4), (v) => v);
    const logTheta = Float32Array.from(fill(G, 6), (v) => v);
    const logLib = Float32Array.from(fill(N, 8), (v) => 0.5 * v);
    const run = (f64: boolean) => {
      const conv = (a: Float32Array) => (f64 ? Float64Array.from(a) : a);
      const yy = fromTypedArray(conv(y), [N, G]);
      const vg = valueAndGrad((p: { logMu: Tensor; logTheta: Tensor; logLib: Tensor }) =>
        nb2LogProb(yy, exp(p.logLib).mul(exp(p.logMu)), exp(p.logTheta)).sum(),
      );
      const [v, g] = vg({
        logMu: fromTypedArray(conv(logMu), [1, G]),
        logTheta: fromTypedArray(conv(logTheta), [1, G]),
        logLib: fromTypedArray(conv(logLib), [N, 1]),
      });
      return [v, g.logMu, g.logTheta, g.logLib];
    };
    const gpu = await Promise.all(withBackend(webgpu!, () => run(false)).map(values));
    const cpu = await Promise.all(run(true).map(values));
    // Value: float32 terms of size ~1 summed over 6e5 elements; gradients: float32 lgamma /
    // digamma differences per element (the cpu-agreement suites' 5e-4) summed over ≤ 1500.
    expect(Math.abs(gpu[0]![0]! - cpu[0]![0]!) / Math.abs(cpu[0]![0]!)).toBeLessThan(1e-5);
    for (let j = 1; j < 4; j++) {
      const scale = Math.max(...Array.from(cpu[j]!, Math.abs));
      for (let i = 0; i < cpu[j]!.length; i++)
        expect(Math.abs(gpu[j]![i]! - cpu[j]![i]!) / scale).toBeLessThan(1e-4);
    }
  });
});
