import {
  add,
  broadcastShapes,
  gather,
  liveBuffers,
  mul,
  reshape,
  scatterAdd,
  scope,
  sum,
  tensor,
  transpose,
  zeros,
} from "@scribe/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const dim = fc.integer({ min: 1, max: 4 });
const shapeArb = fc.array(dim, { minLength: 0, maxLength: 4 });

/** Reference broadcasting by explicit index arithmetic, independent of the library. */
function refBroadcastAdd(
  a: Float64Array,
  as: number[],
  b: Float64Array,
  bs: number[],
  out: number[],
): Float64Array {
  const res = new Float64Array(out.reduce((p, d) => p * d, 1));
  const idxOf = (flat: number, src: number[]) => {
    let rem = flat;
    const coords = out.map(() => 0);
    for (let i = out.length - 1; i >= 0; i--) {
      coords[i] = rem % out[i]!;
      rem = Math.floor(rem / out[i]!);
    }
    let off = 0;
    let stride = 1;
    for (let i = src.length - 1; i >= 0; i--) {
      const c = coords[out.length - src.length + i]!;
      off += (src[i] === 1 ? 0 : c) * stride;
      stride *= src[i]!;
    }
    return off;
  };
  for (let i = 0; i < res.length; i++) res[i] = a[idxOf(i, as)]! + 10 * b[idxOf(i, bs)]!;
  return res;
}

const fill = (n: number, seed: number) =>
  Float64Array.from({ length: n }, (_, i) => ((i * 37 + seed * 11) % 17) - 8);

describe("broadcasting", () => {
  it("a + 10·b equals explicit index arithmetic for compatible shapes", () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 4 }),
        (out, ones, drop) => {
          // derive a broadcast-compatible second shape: drop leading dims and set some dims to 1
          const bs = out.slice(Math.min(drop, out.length)).map((d, i) => (ones[i] ? 1 : d));
          const as = [...out];
          const a = fill(
            as.reduce((p, d) => p * d, 1),
            1,
          );
          const b = fill(
            bs.reduce((p, d) => p * d, 1),
            2,
          );
          const got = add(tensor(a, { shape: as }), mul(tensor(b, { shape: bs }), 10));
          expect(got.shape).toEqual(broadcastShapes(as, bs));
          expect(Array.from(got.dataSync())).toEqual(Array.from(refBroadcastAdd(a, as, b, bs, as)));
        },
      ),
      { numRuns: 150, seed: 42 },
    );
  });
});

describe("reshape and transpose", () => {
  it("transpose by a permutation then its inverse is the identity; reshape round-trips", () => {
    fc.assert(
      fc.property(
        shapeArb.filter((s) => s.length > 0),
        fc.integer(),
        (shape, seed) => {
          const n = shape.reduce((p, d) => p * d, 1);
          const x = tensor(fill(n, seed % 100), { shape });
          const perm = shape.map((_, i) => i).sort((i, j) => ((i * 7 + seed) % 5) - ((j * 7 + seed) % 5));
          const inv = perm.map((_, i) => perm.indexOf(i));
          const back = transpose(transpose(x, perm), inv);
          expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
          const flat = reshape(x, [n]);
          expect(Array.from(reshape(flat, shape).dataSync())).toEqual(Array.from(x.dataSync()));
          // transpose values: element at permuted coordinates
          const t = transpose(x, perm).dataSync();
          const tShape = perm.map((p) => shape[p]!);
          const coords = tShape.map(() => 0);
          for (let i = 0; i < n; i++) {
            let rem = i;
            for (let d = tShape.length - 1; d >= 0; d--) {
              coords[d] = rem % tShape[d]!;
              rem = Math.floor(rem / tShape[d]!);
            }
            let src = 0;
            let stride = 1;
            for (let d = shape.length - 1; d >= 0; d--) {
              src += coords[perm.indexOf(d)]! * stride;
              stride *= shape[d]!;
            }
            expect(t[i]).toBe(x.dataSync()[src]);
          }
        },
      ),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe("gather and scatterAdd", () => {
  it("are adjoint: <gather(x, i), u> = <x, scatterAdd(0, i, u)>", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 1 }),
        (n, m, rawIdx, axis) => {
          const shape = axis === 0 ? [n, m] : [m, n];
          const idx = tensor(Int32Array.from(rawIdx.map((v) => v % n)));
          const x = tensor(fill(n * m, 3), { shape });
          const gx = gather(x, idx, axis);
          const u = tensor(fill(gx.size, 5), { shape: [...gx.shape] });
          const lhs = sum(mul(gx, u)).item();
          const rhs = sum(mul(x, scatterAdd(zeros(shape, "float64"), idx, u, axis))).item();
          expect(lhs).toBeCloseTo(rhs, 9);
        },
      ),
      { numRuns: 100, seed: 3 },
    );
  });
});

describe("float32 reductions", () => {
  it("the sum of 1e7 float32 values is right to 1e-6 relative", () => {
    const n = 10_000_000;
    const v = new Float32Array(n);
    let exact = 0;
    // values 0.1 + k·1e-7 rounded to float32; the exact sum of the stored values in float64
    for (let i = 0; i < n; i++) {
      v[i] = 0.1 + (i % 1000) * 1e-7;
      exact += v[i]!;
    }
    // independent check of the float64 reference: pairwise sum of the same float32 values
    const pairwise = (lo: number, hi: number): number =>
      hi - lo <= 1024
        ? v.subarray(lo, hi).reduce((a, b) => a + b, 0)
        : pairwise(lo, (lo + hi) >> 1) + pairwise((lo + hi) >> 1, hi);
    expect(Math.abs(pairwise(0, n) - exact) / exact).toBeLessThan(1e-12);
    const got = sum(tensor(v)).item();
    expect(Math.abs(got - exact) / exact).toBeLessThan(1e-6);
  });
});

describe("memory", () => {
  it("scopes free everything but the result; a long update loop keeps the live-buffer count flat", () => {
    let w = tensor([1, 2, 3]);
    const start = liveBuffers();
    for (let i = 0; i < 2000; i++) {
      const next = scope(() => w.sub(w.mul(0.01)).add(1e-3));
      w.dispose();
      w = next;
    }
    expect(liveBuffers()).toBe(start);
  });
});

describe("deferred reductions feeding copies", () => {
  it("concat, pad and scatterAdd compute a pending reduction they read", async () => {
    const { concat, pad, sum: s, tensor: t, scatterAdd: sa, zeros: z } = await import("@scribe/core");
    const m = t(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] });
    expect(Array.from(concat([t(new Float64Array([5])), s(m, -1)], -1).dataSync())).toEqual([5, 3, 7]);
    expect(Array.from(pad(s(m, 0), [4], [1]).dataSync())).toEqual([0, 4, 6, 0]);
    const idx = t(new Int32Array([1, 1]));
    expect(Array.from(sa(s(m.reshape([1, 2, 2]), 0), idx, z([2, 2], "float64"), 0).dataSync())).toEqual([
      1, 2, 3, 4,
    ]);
  });
});
