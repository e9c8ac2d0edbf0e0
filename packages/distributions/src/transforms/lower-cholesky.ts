import { type Shape, sum, type Tensor } from "@scribe/core";
import { type Constraint, lowerCholesky, realVector } from "../constraints.js";
import { concatSafe, diagonal, sliceLast, trilPairs } from "../linalg-utils.js";
import type { ElementwiseMath } from "./elementwise-math.js";
import { MathMapTransform } from "./math-map-transform.js";
import { matrixToVec, sideFromPacked, vecToMatrix } from "./tril-index.js";

/**
 * Reals of length n(n+1)/2 → lower-triangular matrices with a positive diagonal: the first
 * n(n−1)/2 entries fill the strict lower triangle row by row, the last n are the log-diagonal.
 * log |det J| = Σ log-diagonal entries.
 */
export class LowerCholeskyTransform extends MathMapTransform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return lowerCholesky;
  }
  protected map(x: Tensor, math: ElementwiseMath): Tensor {
    const n = sideFromPacked(x.shape[x.rank - 1]!, false, "LowerCholeskyTransform");
    const m = (n * (n - 1)) / 2;
    const strict = trilPairs(n, true);
    const diag = Array.from({ length: n }, (_, i) => [i, i] as [number, number]);
    return vecToMatrix(concatSafe([sliceLast(x, 0, m), math.exp(sliceLast(x, m))], -1), n, [
      ...strict,
      ...diag,
    ]);
  }
  protected unmap(y: Tensor, math: ElementwiseMath): Tensor {
    const n = y.shape[y.rank - 1]!;
    return concatSafe([matrixToVec(y, trilPairs(n, true)), math.log(diagonal(y))], -1);
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    const n = sideFromPacked(x.shape[x.rank - 1]!, false, "LowerCholeskyTransform");
    return sum(sliceLast(x, (n * (n - 1)) / 2), -1);
  }
  override forwardShape(shape: Shape): number[] {
    const n = sideFromPacked(shape[shape.length - 1]!, false, "LowerCholeskyTransform");
    return [...shape.slice(0, -1), n, n];
  }
  override inverseShape(shape: Shape): number[] {
    const n = shape[shape.length - 1]!;
    return [...shape.slice(0, -2), (n * (n + 1)) / 2];
  }
}
