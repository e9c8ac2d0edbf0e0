import {
  abs,
  broadcastTo,
  div,
  eq,
  eye,
  fromTypedArray,
  fullLike,
  ge,
  gt,
  le,
  logicalAnd,
  lt,
  mT,
  mul,
  slice,
  sub,
  sum,
  type Tensor,
  tril,
} from "@scribe/core";
import { allRightmost, BaseConstraint, type Constraint } from "./constraint.js";
import { diagonal, sliceLast } from "./linalg-utils.js";

const TOL = 1e-6;

function eyeLike(x: Tensor): Tensor {
  const n = x.shape[x.rank - 1]!;
  return broadcastTo(eye(n, n, x.dtype), x.shape);
}

class Simplex extends BaseConstraint {
  readonly name = "simplex";
  override readonly eventDim = 1;
  check(x: Tensor): Tensor {
    const nonneg = allRightmost(ge(x, 0), 1);
    return logicalAnd(nonneg, lt(abs(sub(sum(x, -1), 1)), TOL));
  }
  feasibleLike(x: Tensor): Tensor {
    return fullLike(x, 1 / x.shape[x.rank - 1]!);
  }
}

class LowerCholesky extends BaseConstraint {
  readonly name: string = "lowerCholesky";
  override readonly eventDim = 2;
  check(x: Tensor): Tensor {
    const lower = allRightmost(eq(tril(x), x), 2);
    return logicalAnd(lower, allRightmost(gt(diagonal(x), 0), 1));
  }
  feasibleLike(x: Tensor): Tensor {
    return eyeLike(x);
  }
}

class CorrCholesky extends LowerCholesky {
  override readonly name = "corrCholesky";
  override check(x: Tensor): Tensor {
    const unitRows = allRightmost(le(abs(sub(sum(x.square(), -1), 1)), TOL), 1);
    return logicalAnd(super.check(x), unitRows);
  }
}

/**
 * Whether each [..., n, n] matrix has a Cholesky factor, i.e. every pivot of symmetric
 * Gaussian elimination is positive (Golub & Van Loan, Matrix Computations, §4.2): the
 * Schur complement A ← A₂₂ − a aᵀ / a₁₁, n steps of tensor ops, so it runs on the device
 * and never reads back. A non-positive pivot makes later ones NaN, which also fails.
 */
function choleskyPivotsPositive(x: Tensor, n: number): Tensor {
  const lead = x.shape.slice(0, -2).map(() => 0);
  const open = x.shape.slice(0, -2).map(() => null);
  let a = x;
  let ok: Tensor | null = null;
  for (let k = 0; k < n; k++) {
    const m = n - k;
    const pivot = slice(a, [...lead, 0, 0], [...open, 1, 1]); // [..., 1, 1]
    const pos = gt(pivot.reshape(pivot.shape.slice(0, -2)), 0);
    ok = ok ? logicalAnd(ok, pos) : pos;
    if (m === 1) break;
    const col = slice(a, [...lead, 1, 0], [...open, m, 1]); // [..., m-1, 1]
    const rest = slice(a, [...lead, 1, 1], [...open, m, m]);
    a = sub(rest, div(mul(col, mT(col)), pivot));
  }
  return ok!;
}

class PositiveDefinite extends BaseConstraint {
  readonly name = "positiveDefinite";
  override readonly eventDim = 2;
  check(x: Tensor): Tensor {
    const n = x.shape[x.rank - 1]!;
    const symmetric = allRightmost(le(abs(sub(x, mT(x))), TOL), 2);
    return logicalAnd(symmetric, choleskyPivotsPositive(x, n));
  }
  feasibleLike(x: Tensor): Tensor {
    return eyeLike(x);
  }
}

class OrderedVector extends BaseConstraint {
  readonly name = "orderedVector";
  override readonly eventDim = 1;
  check(x: Tensor): Tensor {
    const n = x.shape[x.rank - 1]!;
    if (n <= 1) return allRightmost(eq(x, x), 1);
    return allRightmost(gt(sliceLast(x, 1), sliceLast(x, 0, n - 1)), 1);
  }
  feasibleLike(x: Tensor): Tensor {
    const n = x.shape[x.rank - 1]!;
    const v = new (x.dtype === "float64" ? Float64Array : Float32Array)(n).map((_, i) => i);
    return broadcastTo(fromTypedArray(v, [n]), x.shape);
  }
}

/** Vectors (event dim 1) of nonnegative entries summing to one (within 1e-6). */
export const simplex: Constraint = new Simplex();
/** Lower-triangular matrices with a positive diagonal (event dim 2). */
export const lowerCholesky: Constraint = new LowerCholesky();
/** Cholesky factors of correlation matrices: lower Cholesky with unit-norm rows. */
export const corrCholesky: Constraint = new CorrCholesky();
/** Symmetric positive-definite matrices (checked by Cholesky pivots, on the device). */
export const positiveDefinite: Constraint = new PositiveDefinite();
/** Strictly increasing vectors (event dim 1). */
export const orderedVector: Constraint = new OrderedVector();
