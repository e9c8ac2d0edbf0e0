import { record } from "../autodiff/tape.js";
import type { BackendBuffer } from "../backend/backend.js";
import { arange } from "../tensor/creation.js";
import { promoteTypes } from "../tensor/dtype.js";
import { realize } from "../tensor/realize.js";
import { broadcastShapes, formatShape, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { add, astype, broadcastTo, eq, ge, mul, sub, where } from "./elementwise.js";
import { mT, reshape, squeeze, unsqueeze } from "./movement.js";

function batchOf(shape: readonly number[]): number[] {
  return shape.slice(0, -2);
}

/**
 * `x`'s storage when `x` is the matrix transpose (`mT`) of a tensor held contiguously in
 * memory, with no offset: a matrix product can then read that buffer transposed in place
 * instead of first copying the view. Null for any other tensor.
 */
function transposedStorage(x: Tensor): Tensor | null {
  const e = x._expr;
  if (x._buf || !e || e.kind !== "leaf" || e.offset !== 0 || x.rank < 2) return null;
  const base = e.tensor;
  if (base.size !== x.size || base.dtype !== x.dtype) return null;
  const r = x.rank;
  const [rows, cols] = [x.shape[r - 2]!, x.shape[r - 1]!];
  // mT of a contiguous [..., cols, rows] tensor: strides [..., rows·cols, 1, rows]
  if (e.strides[r - 2] !== 1 || e.strides[r - 1] !== rows) return null;
  let stride = rows * cols;
  for (let d = r - 3; d >= 0; d--) {
    if (x.shape[d]! > 1 && e.strides[d] !== stride) return null;
    stride *= x.shape[d]!;
  }
  return base;
}

/** An operand as the backend reads it: a buffer, and whether it holds the matrices transposed. */
function matmulOperand(x: Tensor): { buf: BackendBuffer; trans: boolean } {
  const base = transposedStorage(x);
  return base ? { buf: realize(base), trans: true } : { buf: realize(x), trans: false };
}

/**
 * Matrix product with NumPy semantics: batched over leading dims (broadcast), 1-D operands
 * promoted to a row / column and the unit axis dropped afterwards. An operand that is the
 * transpose (`mT`) of a tensor in memory is read in place by the backend (no copy), which is
 * what the product's own VJP (`g · Bᵀ`, `Aᵀ · g`) relies on.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0)
    throw new Error("matmul: operands must have at least one dimension; use mul for scalars");
  if (a.rank === 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.rank === 1) return squeeze(matmul(a, unsqueeze(b, -1)), -1);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2)
    throw new Error(
      `matmul: inner dimensions differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)} (${k} vs ${k2})`,
    );
  const batch = broadcastShapes(batchOf(a.shape), batchOf(b.shape));
  const dtype = promoteTypes(a.dtype, b.dtype);
  const ab = a.dtype === dtype ? a : astype(a, dtype);
  const bb = b.dtype === dtype ? b : astype(b, dtype);
  const nb = sizeOf(batch);
  // Operands without batch dims are shared across the batch (stride 0), others broadcast.
  const aShared = a.rank === 2;
  const bShared = b.rank === 2;
  const aSrc =
    aShared || (sizeOf(batchOf(a.shape)) === nb && a.rank - 2 === batch.length)
      ? ab
      : broadcastTo(ab, [...batch, m, k]);
  const bSrc =
    bShared || (sizeOf(batchOf(b.shape)) === nb && b.rank - 2 === batch.length)
      ? bb
      : broadcastTo(bb, [...batch, k, n]);
  const shape = [...batch, m, n];
  const buf = a.backend.alloc(dtype, sizeOf(shape));
  if (sizeOf(shape) > 0) {
    const ao = matmulOperand(aSrc);
    const bo = matmulOperand(bSrc);
    a.backend.matmul(
      ao.buf,
      bo.buf,
      nb,
      m,
      k,
      n,
      aShared ? 0 : m * k,
      bShared ? 0 : k * n,
      buf,
      ao.trans,
      bo.trans,
    );
  }
  const out = new Tensor(a.backend, shape, dtype, buf, null);
  // Products run eagerly, so only the cotangents of inputs being differentiated are formed
  // (a data matrix times a parameter vector needs one product, not two). The transposes are
  // views read in place by the backend (see transposedStorage).
  return record(out, [a, b], "matmul", (g) => [
    a._tracked ? matmul(g, mT(b)) : null,
    b._tracked ? matmul(mT(a), g) : null,
  ]);
}

function checkSquare(x: Tensor, where: string): number {
  const n = x.shape[x.rank - 1]!;
  if (x.rank < 2 || x.shape[x.rank - 2] !== n)
    throw new Error(`${where}: expected square matrices, got ${formatShape(x.shape)}`);
  return n;
}

/** Lower-triangular mask (1 on and below the diagonal) of size n, broadcastable. */
function trilMask(n: number): Tensor {
  const i = reshape(arange(n), [n, 1]);
  const j = reshape(arange(n), [1, n]);
  return ge(i, j);
}

/** Keep the lower triangle (k = 0) of the last two axes. */
export function tril(x: Tensor): Tensor {
  return where(trilMask(x.shape[x.rank - 1]!), x, 0);
}

/**
 * Cholesky factor L (lower) of symmetric positive-definite matrices, batched, as a backend
 * kernel (float64 accumulation on the cpu backend). On the cpu backend a matrix that is not
 * positive definite gives an error naming the batch index and pivot; on WebGPU (which cannot
 * report errors synchronously) its factor is NaN.
 */
export function cholesky(x: Tensor): Tensor {
  const n = checkSquare(x, "cholesky");
  const batch = x.size / (n * n);
  const buf = x.backend.alloc(x.dtype, x.size);
  try {
    if (x.size > 0) x.backend.cholesky(realize(x), x.shape, n, batch, buf);
  } catch (e) {
    x.backend.free(buf);
    throw e;
  }
  const res = new Tensor(x.backend, x.shape, x.dtype, buf, null);
  return record(res, [x], "cholesky", (g) => {
    // Ā = ½ L⁻ᵀ Φ(Lᵀ L̄) L⁻¹ symmetrized, Φ = lower triangle with halved diagonal (Murray 2016).
    const P = mul(tril(matmul(mT(res), g)), sub(1, mul(eye01(n), 0.5)));
    const S = triangularSolve(res, mT(triangularSolve(res, P, { lower: true, transposeA: true })), {
      lower: true,
      transposeA: true,
    });
    return [mul(add(S, mT(S)), 0.5)];
  });
}

function eye01(n: number): Tensor {
  const i = reshape(arange(n), [n, 1]);
  const j = reshape(arange(n), [1, n]);
  return eq(i, j);
}

/**
 * Solve A X = B (or Aᵀ X = B) for triangular A, batched with broadcasting. `lower` says which
 * triangle of A is used; the other is ignored.
 */
export function triangularSolve(
  a: Tensor,
  b: Tensor,
  opts: { lower?: boolean; transposeA?: boolean } = {},
): Tensor {
  const lower = opts.lower ?? true;
  const trans = opts.transposeA ?? false;
  const n = checkSquare(a, "triangularSolve");
  if (b.rank < 2 || b.shape[b.rank - 2] !== n)
    throw new Error(
      `triangularSolve: right-hand side ${formatShape(b.shape)} does not match A ${formatShape(a.shape)}`,
    );
  const m = b.shape[b.rank - 1]!;
  const batch = broadcastShapes(batchOf(a.shape), batchOf(b.shape));
  const dtype = promoteTypes(a.dtype, b.dtype);
  const A = broadcastTo(astype(a, dtype), [...batch, n, n]);
  const B = broadcastTo(astype(b, dtype), [...batch, n, m]);
  const size = sizeOf(batch) * n * m;
  const buf = A.backend.alloc(dtype, size);
  if (size > 0) A.backend.triangularSolve(realize(A), realize(B), sizeOf(batch), n, m, lower, trans, buf);
  const res = new Tensor(A.backend, [...batch, n, m], dtype, buf, null);
  return record(res, [a, b], "triangularSolve", (g) => {
    const gb = triangularSolve(a, g, { lower, transposeA: !trans });
    if (!a._tracked) return [null, gb];
    // Ā = −B̄ Xᵀ (or −X B̄ᵀ when A was transposed), restricted to the triangle used.
    const full = trans ? mul(matmul(res, mT(gb)), -1) : mul(matmul(gb, mT(res)), -1);
    const ga = lower ? tril(full) : mT(tril(mT(full)));
    return [ga, gb];
  });
}

/** Solve (L Lᵀ) X = B given the lower Cholesky factor L. */
export function choleskySolve(l: Tensor, b: Tensor): Tensor {
  return triangularSolve(l, triangularSolve(l, b, { lower: true }), { lower: true, transposeA: true });
}
