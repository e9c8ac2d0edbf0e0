import { fromTypedArray, matmul, mT, mul, sum, type Tensor, valueAndGrad } from "@scribe/core";
import { matmulCpu } from "@scribe/core/backend/cpu/matmul-cpu.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * The backend matmul's transpose flags (transA: A stored k × m, transB: B stored n × k, read in
 * place) against the same product on explicitly transposed copies. The flags only change where
 * operands are read, not the order of the sums (wasm-gemm.ts reads a transposed A through its k
 * stride and packs a transposed B into the same panels; the JS loops index it), so the results
 * must be bit-identical in float32 and float64: the comparison is exact equality. Gradients
 * through transposed views are checked against central finite differences in float64.
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

/** Each of `count` row-major rows × cols matrices in `x`, transposed (cols × rows). */
function transposeEach<T extends Float32Array | Float64Array>(
  x: T,
  count: number,
  rows: number,
  cols: number,
): T {
  const out = x.slice() as T;
  for (let t = 0; t < count; t++)
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) out[t * rows * cols + j * rows + i] = x[t * rows * cols + i * cols + j]!;
  return out;
}

interface Case {
  dtype: Dtype;
  batch: number;
  aShared: boolean;
  bShared: boolean;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  dtype: fc.constantFrom<Dtype>("float32", "float64"),
  batch: fc.integer({ min: 1, max: 3 }),
  aShared: fc.boolean(),
  bShared: fc.boolean(),
  // small sizes take the JS loops (< 4096 multiply-adds), large ones the SIMD kernel; m not a
  // multiple of 4 pads A's rows, n not a multiple of the panel width pads B's panels, k past
  // 256 spans several k blocks; n = 1 is the matrix × vector loop
  m: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 30, max: 70 })),
  k: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 250, max: 600 })),
  n: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 11 }), fc.integer({ min: 30, max: 45 })),
  transA: fc.boolean(),
  transB: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

/** The flagged product and the product of explicit transposed copies, element by element. */
function runCase(c: Case): { flagged: Float32Array | Float64Array; explicit: Float32Array | Float64Array } {
  const nA = c.aShared ? 1 : c.batch;
  const nB = c.bShared ? 1 : c.batch;
  // stored as the flags say: A k × m when transA, B n × k when transB
  const aStored = randomArray(c.dtype, nA * c.m * c.k, c.seed);
  const bStored = randomArray(c.dtype, nB * c.k * c.n, c.seed + 7919);
  const aPlain = c.transA ? transposeEach(aStored, nA, c.k, c.m) : aStored;
  const bPlain = c.transB ? transposeEach(bStored, nB, c.n, c.k) : bStored;
  const make = () =>
    c.dtype === "float32" ? new Float32Array(c.batch * c.m * c.n) : new Float64Array(c.batch * c.m * c.n);
  const flagged = make();
  const explicit = make();
  const [sa, sb] = [c.aShared ? 0 : c.m * c.k, c.bShared ? 0 : c.k * c.n];
  matmulCpu(aStored, bStored, flagged, c.batch, c.m, c.k, c.n, sa, sb, c.transA, c.transB);
  matmulCpu(aPlain, bPlain, explicit, c.batch, c.m, c.k, c.n, sa, sb);
  return { flagged, explicit };
}

describe("matmul transpose flags", () => {
  it("the cpu backend's transA / transB give bit-identical results to explicit transposes", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { flagged, explicit } = runCase(c);
        expect(Array.from(flagged)).toEqual(Array.from(explicit));
      }),
      { numRuns: 80, seed: 20261206 },
    );
  }, 120_000);

  it("covers the VAE's backward shapes exactly (512 × 2000 × 128 in float32)", () => {
    // dW of the encoder's first layer (Xᵀ g) and dX of the decoder's last (g Wᵀ)
    for (const c of [
      { m: 2000, k: 512, n: 128, transA: true, transB: false },
      { m: 512, k: 2000, n: 128, transA: false, transB: true },
    ]) {
      const { flagged, explicit } = runCase({
        dtype: "float32",
        batch: 1,
        aShared: true,
        bShared: true,
        seed: 3,
        ...c,
      });
      let same = true;
      for (let i = 0; i < flagged.length; i++) if (flagged[i] !== explicit[i]) same = false;
      expect(same).toBe(true);
    }
  }, 120_000);

  it("matmul on mT views equals matmul on contiguous copies (tensor level, batched and broadcast)", async () => {
    const [bt, m, k, n] = [3, 37, 300, 21];
    const aT = randomArray("float32", bt * k * m, 5); // stored [bt, k, m]
    const bT = randomArray("float32", n * k, 6); // stored [n, k], shared over the batch
    const viaViews = matmul(mT(fromTypedArray(aT, [bt, k, m])), mT(fromTypedArray(bT, [n, k])));
    const viaCopies = matmul(
      fromTypedArray(transposeEach(aT, bt, k, m), [bt, m, k]),
      fromTypedArray(transposeEach(bT, 1, n, k), [k, n]),
    );
    expect(viaViews.shape).toEqual([bt, m, n]);
    expect(Array.from(await viaViews.data())).toEqual(Array.from(await viaCopies.data()));
  });

  it("gradients through transposed operands match central finite differences (float64)", async () => {
    const [m, k, n] = [7, 300, 9];
    const aStored = randomArray("float64", k * m, 21); // A = mT(aStored)
    const b = randomArray("float64", k * n, 22);
    const wData = randomArray("float64", m * n, 23);
    const W = fromTypedArray(wData, [m, n]);
    const f = (p: { aT: Tensor; b: Tensor }) => sum(mul(W, matmul(mT(p.aT), p.b)).square());
    const [, g] = valueAndGrad(f)({ aT: fromTypedArray(aStored, [k, m]), b: fromTypedArray(b, [k, n]) });
    const [ga, gb] = await Promise.all([g.aT.data(), g.b.data()]);
    const value = async (a: Float64Array, bb: Float64Array) =>
      (await f({ aT: fromTypedArray(a, [k, m]), b: fromTypedArray(bb, [k, n]) }).data())[0]!;
    const h = 1e-5;
    let worst = 0;
    // a spread of entries of each operand (all 2 · 300 · 8 would be slow and add nothing)
    for (const [which, idx] of [
      ["a", 0],
      ["a", 1234],
      ["a", k * m - 1],
      ["b", 0],
      ["b", 999],
      ["b", k * n - 1],
    ] as const) {
      const base = which === "a" ? aStored : b;
      const up = Float64Array.from(base);
      const dn = Float64Array.from(base);
      up[idx]! += h;
      dn[idx]! -= h;
      const fd =
        which === "a"
          ? ((await value(up, b as Float64Array)) - (await value(dn, b as Float64Array))) / (2 * h)
          : ((await value(aStored as Float64Array, up)) - (await value(aStored as Float64Array, dn))) /
            (2 * h);
      const ad = (which === "a" ? ga : gb)[idx]!;
      worst = Math.max(worst, Math.abs(fd - ad) / Math.max(1, Math.abs(ad)));
    }
    // central differences of a quadratic are exact up to rounding: f ~ 1e4 · 2⁻⁵³ / 1e-5 ≈ 1e-7
    expect(worst).toBeLessThan(1e-6);
  });
});
