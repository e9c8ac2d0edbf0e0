import { fromTypedArray, matmul, mT, mul, sum, type Tensor, valueAndGrad, withBackend } from "@scribe/core";
import { describe, expect, it } from "vitest";
import { values, webgpu } from "./gpu-env.js";

/**
 * The WebGPU matmul kernel's transpose flags (kernels.ts `matmulPlan`, used when an operand is
 * an mT view of a tensor in memory). Against the same kernel on explicit contiguous copies the
 * result must be bit-identical (the flags only change which address a tile load reads, the fma
 * order is the same); against the cpu backend in float64 within float32 rounding of k terms.
 */

function fill(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Each of `count` row-major rows × cols matrices, transposed. */
function transposeEach(x: Float32Array, count: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let t = 0; t < count; t++)
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) out[t * rows * cols + j * rows + i] = x[t * rows * cols + i * cols + j]!;
  return out;
}

describe.skipIf(!webgpu)("webgpu matmul transpose flags", () => {
  // odd sizes: partial 16 × 16 tiles in every direction; a batch of 2 with A shared
  const [bt, m, k, n] = [2, 37, 45, 29];
  for (const [transA, transB] of [
    [true, false],
    [false, true],
    [true, true],
  ] as const)
    it(`transA ${transA}, transB ${transB}: exact vs explicit copies, close to the cpu`, async () => {
      const aStored = fill(m * k, 11); // shared over the batch
      const bStored = fill(bt * k * n, 12);
      const aPlain = transA ? transposeEach(aStored, 1, k, m) : aStored;
      const bPlain = transB ? transposeEach(bStored, bt, n, k) : bStored;
      const run = () => {
        const a = transA ? mT(fromTypedArray(aStored, [k, m])) : fromTypedArray(aStored, [m, k]);
        const b = transB ? mT(fromTypedArray(bStored, [bt, n, k])) : fromTypedArray(bStored, [bt, k, n]);
        return [matmul(a, b), matmul(fromTypedArray(aPlain, [m, k]), fromTypedArray(bPlain, [bt, k, n]))];
      };
      const [flagged, explicit] = await Promise.all(withBackend(webgpu!, run).map(values));
      expect(Array.from(flagged!)).toEqual(Array.from(explicit!));
      const cpu = await matmul(
        fromTypedArray(Float64Array.from(aPlain), [m, k]),
        fromTypedArray(Float64Array.from(bPlain), [bt, k, n]),
      ).data();
      // float32 products of |x| ≤ 1 summed over 45 terms: a few ulps of 45 at most
      let worst = 0;
      for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(flagged![i]! - cpu[i]!));
      expect(worst).toBeLessThan(45 * 2 ** -22);
    });

  it("the product's gradients on WebGPU match the cpu's float64", async () => {
    const [mm, kk, nn] = [19, 33, 23];
    const aData = fill(mm * kk, 21);
    const bData = fill(kk * nn, 22);
    const wData = fill(mm * nn, 23);
    const grads = (f64: boolean) => {
      const conv = (x: Float32Array) => (f64 ? Float64Array.from(x) : x);
      const W = fromTypedArray(conv(wData), [mm, nn]);
      const [, g] = valueAndGrad((p: { a: Tensor; b: Tensor }) => sum(mul(W, matmul(p.a, p.b))))({
        a: fromTypedArray(conv(aData), [mm, kk]),
        b: fromTypedArray(conv(bData), [kk, nn]),
      });
      return [g.a, g.b];
    };
    const gpu = await Promise.all(withBackend(webgpu!, () => grads(false)).map(values));
    const cpu = await Promise.all(grads(true).map(values));
    for (let j = 0; j < 2; j++)
      for (let i = 0; i < cpu[j]!.length; i++)
        // ∂/∂A = W Bᵀ (23 terms), ∂/∂B = Aᵀ W (19 terms), |terms| ≤ 1
        expect(Math.abs(gpu[j]![i]! - cpu[j]![i]!)).toBeLessThan(23 * 2 ** -22);
  });
});
