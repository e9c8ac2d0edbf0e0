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

// Sizes are the smallest that reach each path (reductionSplit and planFused in
// packages/core/src/backend/webgpu/wgsl-codegen.ts: a tree once a reduced range exceeds
// TREE_MIN = 64 elements, split once it spans ≥ 2 chunks of 2048 with few outputs, the second
// pass of a split a tree once there are more than 64 partials) with lengths that are not
// multiples of the 128-thread workgroup, so every tail is taken. SwiftShader runs the shaders
// on the CPU: larger arrays only cost time (the earlier [3, 200000] case took 6.6 s).
const SHAPES: [number, number][] = [
  [7, 50], // one thread per output (both axes); the full sum (350) one workgroup
  [100, 300], // one workgroup per output (both axes, few outputs); full sum split in 14
  [3, 10_000], // 10,000 outputs of 3 over 79 workgroups (axis 0); split in 4 (axis 1) and 14 (all)
  [1100, 70], // 1100 outputs of 70, a workgroup each (axis 1); full sum split in 37
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
    // 20,000 elements: a split reduction in 9 slices (second pass one thread per output)
    const n = 20_000;
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
    // 140,000 elements: split in 68 slices, more than TREE_MIN, so the second pass is a tree too
    const n = 140_000;
    const x = Int32Array.from(fill(n, 5), (v) => Math.round(v * 20));
    const [g] = await Promise.all(withBackend(webgpu!, () => [sum(fromTypedArray(x, [n]))]).map(values));
    expect(g![0]).toBe(x.reduce((a, b) => a + b, 0));
  });

  // The W1 workload at reduced size: one value (a full sum) and three gradients (sums over
  // cells, genes, and both) from one backward pass, vs the cpu backend in float64. 150 × 300:
  // both per-axis gradient sums exceed TREE_MIN (tree per output) and the full sum is split.
  it("the NB2 log-likelihood and its gradients match the cpu's float64", async () => {
    const [N, G] = [150, 300];
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
    // Value: float32 terms of size ~1 summed over 4.5e4 elements; gradients: float32 lgamma /
    // digamma differences per element (the cpu-agreement suites' 5e-4) summed over ≤ 300.
    expect(Math.abs(gpu[0]![0]! - cpu[0]![0]!) / Math.abs(cpu[0]![0]!)).toBeLessThan(1e-5);
    for (let j = 1; j < 4; j++) {
      const scale = Math.max(...Array.from(cpu[j]!, Math.abs));
      for (let i = 0; i < cpu[j]!.length; i++)
        expect(Math.abs(gpu[j]![i]! - cpu[j]![i]!) / scale).toBeLessThan(1e-4);
    }
  });
});
