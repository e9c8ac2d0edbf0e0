import { add, cholesky, fromTypedArray, log, matmul, mT, mul, neg, sum, type Tensor } from "@scribe/core";
import { type Constraint, lowerCholesky, positiveDefinite } from "../constraints.js";
import { diagonal } from "../linalg-utils.js";
import { Transform } from "./transform.js";

/**
 * Symmetric positive-definite matrices → their lower Cholesky factors (inverse: L Lᵀ).
 * With the lower triangle as coordinates, log |det ∂L/∂X| = −(n log 2 + Σⱼ (n − j) log Lⱼⱼ).
 */
export class CholeskyTransform extends Transform {
  get domain(): Constraint {
    return positiveDefinite;
  }
  get codomain(): Constraint {
    return lowerCholesky;
  }
  forward(x: Tensor): Tensor {
    return cholesky(x);
  }
  inverse(y: Tensor): Tensor {
    return matmul(y, mT(y));
  }
  logAbsDetJacobian(_x: Tensor, y: Tensor): Tensor {
    const n = y.shape[y.rank - 1]!;
    const w = new (y.dtype === "float64" ? Float64Array : Float32Array)(n).map((_, j) => n - j);
    const s = sum(mul(log(diagonal(y)), fromTypedArray(w, [n])), -1);
    return neg(add(s, n * Math.LN2));
  }
}
