import {
  add,
  cumsum,
  exp,
  fromTypedArray,
  log,
  logSigmoid,
  neg,
  type Shape,
  softplus,
  sub,
  sum,
  type Tensor,
} from "@scribe/core";
import { type Constraint, realVector, simplex } from "../constraints.js";
import { concatSafe, sliceLast } from "../linalg-utils.js";
import { Transform } from "./transform.js";

/** log(K−1−i) for i = 0..K−2, so that x = 0 maps to the uniform simplex point. */
function offsets(km1: number, dtype: Tensor["dtype"]): Tensor {
  const a = new (dtype === "float64" ? Float64Array : Float32Array)(km1).map((_, i) => Math.log(km1 - i));
  return fromTypedArray(a, [km1]);
}

/**
 * Unconstrained vectors of length K−1 → the K-simplex by stick breaking: zᵢ = sigmoid(xᵢ −
 * log(K−1−i)) is the fraction taken from what remains of the stick. Computed in log space;
 * the inverse uses suffix sums, so no cancellation near the vertices.
 */
export class StickBreakingTransform extends Transform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return simplex;
  }
  private parts(x: Tensor) {
    const xp = sub(x, offsets(x.shape[x.rank - 1]!, x.dtype));
    const log1mz = neg(softplus(xp));
    const cum = cumsum(log1mz, -1);
    const excl = sub(cum, log1mz);
    return { logz: logSigmoid(xp), log1mz, cum, excl };
  }
  forward(x: Tensor): Tensor {
    const { logz, cum, excl } = this.parts(x);
    const km1 = x.shape[x.rank - 1]!;
    return concatSafe([exp(add(logz, excl)), exp(sliceLast(cum, km1 - 1))], -1);
  }
  inverse(y: Tensor): Tensor {
    const k = y.shape[y.rank - 1]!;
    const suffix = cumsum(y, -1, true);
    const lx = sub(log(sliceLast(y, 0, k - 1)), log(sliceLast(suffix, 1)));
    return add(lx, offsets(k - 1, y.dtype));
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    const { logz, log1mz, excl } = this.parts(x);
    return sum(add(add(logz, log1mz), excl), -1);
  }
  override forwardShape(shape: Shape): number[] {
    return [...shape.slice(0, -1), shape[shape.length - 1]! + 1];
  }
  override inverseShape(shape: Shape): number[] {
    return [...shape.slice(0, -1), shape[shape.length - 1]! - 1];
  }
}
