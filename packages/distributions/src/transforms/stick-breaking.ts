import { add, cumsum, fromTypedArray, neg, type Shape, sub, sum, type Tensor } from "@scribe/core";
import { type Constraint, realVector, simplex } from "../constraints.js";
import { concatSafe, sliceLast } from "../linalg-utils.js";
import { type ElementwiseMath, engineMath } from "./elementwise-math.js";
import { MathMapTransform } from "./math-map-transform.js";

/**
 * log(K−1−i) for i = 0..K−2, so that x = 0 maps to the uniform simplex point: host `Math.log`
 * with the engine's math, the portable log op of K−1−i (exact integers) with the draw math.
 */
function offsets(km1: number, dtype: Tensor["dtype"], m: ElementwiseMath): Tensor {
  const array = dtype === "float64" ? Float64Array : Float32Array;
  if (m === engineMath)
    return fromTypedArray(
      new array(km1).map((_, i) => Math.log(km1 - i)),
      [km1],
    );
  return m.log(
    fromTypedArray(
      new array(km1).map((_, i) => km1 - i),
      [km1],
    ),
  );
}

/**
 * Unconstrained vectors of length K−1 → the K-simplex by stick breaking: zᵢ = sigmoid(xᵢ −
 * log(K−1−i)) is the fraction taken from what remains of the stick. Computed in log space;
 * the inverse uses suffix sums, so no cancellation near the vertices.
 */
export class StickBreakingTransform extends MathMapTransform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return simplex;
  }
  private parts(x: Tensor, m: ElementwiseMath) {
    const xp = sub(x, offsets(x.shape[x.rank - 1]!, x.dtype, m));
    const log1mz = neg(m.softplus(xp));
    const cum = cumsum(log1mz, -1);
    const excl = sub(cum, log1mz);
    return { logz: m.logSigmoid(xp), log1mz, cum, excl };
  }
  protected map(x: Tensor, m: ElementwiseMath): Tensor {
    const { logz, cum, excl } = this.parts(x, m);
    const km1 = x.shape[x.rank - 1]!;
    return concatSafe([m.exp(add(logz, excl)), m.exp(sliceLast(cum, km1 - 1))], -1);
  }
  protected unmap(y: Tensor, m: ElementwiseMath): Tensor {
    const k = y.shape[y.rank - 1]!;
    const suffix = cumsum(y, -1, true);
    const lx = sub(m.log(sliceLast(y, 0, k - 1)), m.log(sliceLast(suffix, 1)));
    return add(lx, offsets(k - 1, y.dtype, m));
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    const { logz, log1mz, excl } = this.parts(x, engineMath);
    return sum(add(add(logz, log1mz), excl), -1);
  }
  override forwardShape(shape: Shape): number[] {
    return [...shape.slice(0, -1), shape[shape.length - 1]! + 1];
  }
  override inverseShape(shape: Shape): number[] {
    return [...shape.slice(0, -1), shape[shape.length - 1]! - 1];
  }
}
