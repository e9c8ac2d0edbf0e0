import { fromTypedArray, matmul, mT, mul, sum, type Tensor, valueAndGrad } from "@scribe/core";
import { wasmGemmAvailable } from "@scribe/core/backend/cpu/wasm-gemm.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * The cpu matrix product (WebAssembly SIMD kernel above 4096 multiply-adds, JS loops below and
 * for matrix × vector) against a naive float64 triple loop over the same values.
 *
 * Tolerances. float32 accumulates in float32 in blocks of 256 terms (wasm-gemm.ts), so the
 * first-order rounding bound of recursive summation (Higham, "Accuracy and Stability of
 * Numerical Algorithms", §3.1) gives |error| ≤ (min(k, 256) + ⌈k / 256⌉ + 2) · 2⁻²⁴ · Σ|a||b|
 * per entry (products, block sums, the final store). float64 sums every term in order in
 * float64, as the loop here does, so the bound is the same with 2⁻⁵³ and k terms.
 */

type Dtype = "float32" | "float64";

function randomArray(dtype: Dtype, n: number, seed: number): Float32Array | Float64Array {
  const out = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 4 - 2;
  }
  return out;
}

/** Element (t, i, j) of a logical rows × cols operand stored row-major, or as its transpose. */
function logical(
  data: ArrayLike<number>,
  rows: number,
  cols: number,
  transposed: boolean,
): (t: number, i: number, j: number) => number {
  return transposed
    ? (t, i, j) => data[t * rows * cols + j * rows + i]!
    : (t, i, j) => data[t * rows * cols + i * cols + j]!;
}

/** Flat index into an operand's batch dims (right-aligned, size-1 dims broadcast) of output batch entry t. */
function broadcastIndex(t: number, outBatch: readonly number[], own: readonly number[]): number {
  let idx = 0;
  let stride = 1;
  for (let d = 1; d <= outBatch.length; d++) {
    const coord = t % outBatch[outBatch.length - d]!;
    t = Math.floor(t / outBatch[outBatch.length - d]!);
    const size = own[own.length - d];
    if (size !== undefined) {
      idx += (size === 1 ? 0 : coord) * stride;
      stride *= size;
    }
  }
  return idx;
}

interface Case {
  dtype: Dtype;
  aBatch: number[];
  bBatch: number[];
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  seed: number;
}

/** One case: got vs the float64 loop; returns the largest error as a fraction of its bound. */
async function checkCase(c: Case): Promise<number> {
  const aB = c.aBatch.reduce((x, y) => x * y, 1);
  const bB = c.bBatch.reduce((x, y) => x * y, 1);
  const aData = randomArray(c.dtype, aB * c.m * c.k, c.seed);
  const bData = randomArray(c.dtype, bB * c.k * c.n, c.seed + 7919);
  // A transposed operand is stored k × m and passed as a view (mT), as a VJP does.
  const a0 = fromTypedArray(aData, [...c.aBatch, ...(c.transA ? [c.k, c.m] : [c.m, c.k])]);
  const b0 = fromTypedArray(bData, [...c.bBatch, ...(c.transB ? [c.n, c.k] : [c.k, c.n])]);
  const a = c.transA ? mT(a0) : a0;
  const b = c.transB ? mT(b0) : b0;
  const out = matmul(a, b);
  const batch = out.shape.slice(0, -2);
  expect(out.shape).toEqual([...batch, c.m, c.n]);
  const got = await out.data();
  const A = logical(aData, c.m, c.k, c.transA);
  const Bv = logical(bData, c.k, c.n, c.transB);
  const nb = batch.reduce((x, y) => x * y, 1);
  const unit = c.dtype === "float32" ? 2 ** -24 : 2 ** -53;
  const terms = c.dtype === "float32" ? Math.min(c.k, 256) + Math.ceil(c.k / 256) + 2 : c.k + 2;
  let worst = 0;
  for (let t = 0; t < nb; t++) {
    const ta = broadcastIndex(t, batch, c.aBatch);
    const tb = broadcastIndex(t, batch, c.bBatch);
    for (let i = 0; i < c.m; i++)
      for (let j = 0; j < c.n; j++) {
        let s = 0;
        let abs = 0;
        for (let p = 0; p < c.k; p++) {
          const x = A(ta, i, p) * Bv(tb, p, j);
          s += x;
          abs += Math.abs(x);
        }
        const err = Math.abs(got[(t * c.m + i) * c.n + j]! - s);
        const bound = terms * unit * abs + Number.MIN_VALUE;
        worst = Math.max(worst, err / bound);
      }
  }
  return worst;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    dtype: fc.constantFrom<Dtype>("float32", "float64"),
    batchKind: fc.constantFrom("none", "both", "aOnly", "bOnly", "broadcast"),
    m: fc.integer({ min: 1, max: 37 }),
    k: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 250, max: 700 })),
    n: fc.integer({ min: 1, max: 41 }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .map(({ batchKind, ...r }) => {
    const batches: Record<string, [number[], number[]]> = {
      none: [[], []],
      both: [[3], [3]],
      aOnly: [[2], []],
      bOnly: [[], [2]],
      broadcast: [[2, 1], [3]],
    };
    const [aBatch, bBatch] = batches[batchKind]!;
    return { ...r, aBatch, bBatch };
  });

describe("cpu matmul (SIMD kernel and JS loops)", () => {
  it("compiles the WebAssembly SIMD kernel in this runtime", () => {
    // Node 20+, Deno and current browsers have WebAssembly SIMD; without it the JS loop runs.
    expect(wasmGemmAvailable()).toBe(true);
  });

  it("matches a float64 triple loop on random shapes, transposes and batch dims", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        expect(await checkCase(c)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60, seed: 20261206 },
    );
  }, 120_000);

  it("is well inside its float32 bound on a product as deep as the VAE encoder's (64 × 2000 × 128)", async () => {
    const worst = await checkCase({
      dtype: "float32",
      aBatch: [],
      bBatch: [],
      m: 64,
      k: 2000,
      n: 128,
      transA: true,
      transB: false,
      seed: 5,
    });
    // measured 0.011 of the worst-case bound: random-sign rounding errors mostly cancel
    expect(worst).toBeLessThan(0.05);
  }, 180_000);

  it("gives the closed-form gradients ∂/∂A Σ W∘(AB) = W Bᵀ and ∂/∂B = Aᵀ W through the kernel", async () => {
    const [m, k, n] = [19, 300, 23];
    const A = fromTypedArray(randomArray("float64", m * k, 11), [m, k]);
    const B = fromTypedArray(randomArray("float64", k * n, 12), [k, n]);
    const Wd = randomArray("float64", m * n, 13);
    const W = fromTypedArray(Wd, [m, n]);
    const [, g] = valueAndGrad((p: { a: Tensor; b: Tensor }) => sum(mul(W, matmul(p.a, p.b))))({
      a: A,
      b: B,
    });
    const [ad, bd, ga, gb] = await Promise.all([A.data(), B.data(), g.a.data(), g.b.data()]);
    let worst = 0;
    for (let i = 0; i < m; i++)
      for (let p = 0; p < k; p++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += Wd[i * n + j]! * bd[p * n + j]!;
        worst = Math.max(worst, Math.abs(ga[i * k + p]! - s));
      }
    for (let p = 0; p < k; p++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += ad[i * k + p]! * Wd[i * n + j]!;
        worst = Math.max(worst, Math.abs(gb[p * n + j]! - s));
      }
    // float64 sums of ≤ 300 terms of size ≤ 4: far below 1e-11
    expect(worst).toBeLessThan(1e-11);
  }, 180_000);
});
