import {
  add,
  arange,
  cumsum,
  lt,
  mul,
  neg,
  reshape,
  type Shape,
  softplus,
  sqrt,
  square,
  sub,
  sum,
  type Tensor,
  where,
} from "@scribe/core";
import { type Constraint, corrCholesky, realVector } from "../constraints.js";
import { eyeMask, trilPairs } from "../linalg-utils.js";
import { type ElementwiseMath, engineMath } from "./elementwise-math.js";
import { MathMapTransform } from "./math-map-transform.js";
import { matrixToVec, sideFromPacked, vecToMatrix } from "./tril-index.js";

function strictLowerMask(n: number): Tensor {
  return lt(reshape(arange(n), [1, n]), reshape(arange(n), [n, 1]));
}

/**
 * Reals of length n(n−1)/2 → Cholesky factors of correlation matrices. Each entry becomes a
 * partial correlation z = tanh(x) in (−1, 1); row i is then built by stick breaking on the
 * squared norm: wᵢⱼ = zᵢⱼ·√(Πₖ<ⱼ(1 − zᵢₖ²)), wᵢᵢ = √(Πₖ<ᵢ(1 − zᵢₖ²)), so every row has unit norm.
 */
export class CorrCholeskyTransform extends MathMapTransform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return corrCholesky;
  }
  private build(x: Tensor, m: ElementwiseMath) {
    const n = sideFromPacked(x.shape[x.rank - 1]!, true, "CorrCholeskyTransform");
    const zs = vecToMatrix(m.tanh(x), n, trilPairs(n, true));
    const l1 = m.log1p(neg(square(zs)));
    const excl = sub(cumsum(l1, -1), l1);
    return { n, zs, excl };
  }
  protected map(x: Tensor, m: ElementwiseMath): Tensor {
    const { n, zs, excl } = this.build(x, m);
    return mul(where(eyeMask(n), 1, zs), m.exp(mul(excl, 0.5)));
  }
  protected unmap(y: Tensor, m: ElementwiseMath): Tensor {
    const n = y.shape[y.rank - 1]!;
    const ws = where(strictLowerMask(n), y, 0);
    const sq = square(ws);
    const excl = sub(cumsum(sq, -1), sq);
    const z = where(strictLowerMask(n), ws.div(sqrt(sub(1, excl))), 0);
    const zv = matrixToVec(z, trilPairs(n, true));
    return mul(sub(m.log1p(zv), m.log1p(neg(zv))), 0.5);
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    const { n, excl } = this.build(x, engineMath);
    const stick = sum(sum(where(strictLowerMask(n), mul(excl, 0.5), 0), -1), -1);
    // log(1 − tanh²x) = 2 (log 2 − x − softplus(−2x))
    const tanhTerm = sum(mul(sub(sub(Math.LN2, x), softplus(mul(x, -2))), 2), -1);
    return add(stick, tanhTerm);
  }
  override forwardShape(shape: Shape): number[] {
    const n = sideFromPacked(shape[shape.length - 1]!, true, "CorrCholeskyTransform");
    return [...shape.slice(0, -1), n, n];
  }
  override inverseShape(shape: Shape): number[] {
    const n = shape[shape.length - 1]!;
    return [...shape.slice(0, -2), (n * (n - 1)) / 2];
  }
}
