import {
  type Tensor, abs, broadcastTo, eye, fromTypedArray, fullLike, ge, gt, le, logicalAnd, lt, mT, sub, sum, tril, eq,
} from "@scribe/core";
import { BaseConstraint, type Constraint, allRightmost } from "./constraint.js";
import { choleskyOk, diagonal, sliceLast } from "./linalg-utils.js";

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

class PositiveDefinite extends BaseConstraint {
  readonly name = "positiveDefinite";
  override readonly eventDim = 2;
  check(x: Tensor): Tensor {
    const n = x.shape[x.rank - 1]!;
    const symmetric = allRightmost(le(abs(sub(x, mT(x))), TOL), 2);
    const batchShape = x.shape.slice(0, -2);
    const batch = x.size / (n * n);
    const ok = choleskyOk(x.dataSync(), n, batch);
    const okT = fromTypedArray(Uint8Array.from(ok, (b) => (b ? 1 : 0)), batchShape);
    return logicalAnd(symmetric, okT);
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
/** Symmetric positive-definite matrices (checked with a CPU Cholesky per matrix). */
export const positiveDefinite: Constraint = new PositiveDefinite();
/** Strictly increasing vectors (event dim 1). */
export const orderedVector: Constraint = new OrderedVector();
