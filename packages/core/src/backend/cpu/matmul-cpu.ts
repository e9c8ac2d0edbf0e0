import type { TypedArray } from "../../tensor/dtype.js";
import { wasmMatmul } from "./wasm-gemm.js";

/**
 * Products with fewer multiply-adds than this stay in plain JS: copying operands into the
 * SIMD kernel's memory costs more than the product itself below it.
 */
const SIMD_MIN_MACS = 4096;

/**
 * O[t] = op(A[t]) · op(B[t]) for `batch` row-major products (m × k times k × n), operands of
 * one dtype; a batch stride of 0 shares that operand across the batch. `transA`: each A[t] is
 * stored k × m and read transposed in place; `transB`: each B[t] is stored n × k (the VJP of a
 * product needs both, and reading in place spares a transposed copy). Float products of any
 * useful size run on the WebAssembly SIMD kernel (wasm-gemm.ts: float32 products accumulate in
 * float32 in blocks of 256 terms, float64 in float64); matrix × vector products and tiny or
 * integer ones run the JS loops below, accumulating in float64. Either way the flags change
 * only where operands are read, not the order of the sums.
 */
export function matmulCpu(
  A: TypedArray,
  B: TypedArray,
  O: TypedArray,
  batch: number,
  m: number,
  k: number,
  n: number,
  aBatchStride: number,
  bBatchStride: number,
  transA = false,
  transB = false,
): void {
  // element (i, p) of op(A[t]) is A[ao + i·aRow + p·aCol]; (p, j) of op(B[t]) is B[bo + p·bRow + j·bCol]
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  if (n === 1) {
    // matrix × vector (regressions, their gradients): plain dot products (a k × 1 B is one
    // contiguous vector whether or not it is marked transposed)
    for (let t = 0; t < batch; t++) {
      const ao = t * aBatchStride;
      const bo = t * bBatchStride;
      for (let i = 0; i < m; i++) {
        let s = 0;
        const r = ao + i * aRow;
        for (let p = 0; p < k; p++) s += A[r + p * aCol]! * B[bo + p]!;
        O[t * m + i] = s;
      }
    }
    return;
  }
  const sameFloat =
    (A instanceof Float32Array && B instanceof Float32Array && O instanceof Float32Array) ||
    (A instanceof Float64Array && B instanceof Float64Array && O instanceof Float64Array);
  if (
    sameFloat &&
    m * k * n >= SIMD_MIN_MACS &&
    wasmMatmul(A, B, O, batch, m, k, n, aBatchStride, bBatchStride, transA, transB)
  )
    return;
  // i-k-j order keeps the inner loop contiguous in B and the output; accumulate in float64.
  const row = new Float64Array(n);
  for (let t = 0; t < batch; t++) {
    const ao = t * aBatchStride;
    const bo = t * bBatchStride;
    const oo = t * m * n;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = A[ao + i * aRow + p * aCol]!;
        const bp = bo + p * bRow;
        for (let j = 0; j < n; j++) row[j]! += av * B[bp + j * bCol]!;
      }
      for (let j = 0; j < n; j++) O[oo + i * n + j] = row[j]!;
    }
  }
}
