import { cumsum, exp, log, sub, sum, type Tensor } from "@scribe/core";
import { type Constraint, orderedVector, realVector } from "../constraints.js";
import { concatSafe, sliceLast } from "../linalg-utils.js";
import { Transform } from "./transform.js";

/** Reals → strictly increasing vectors: y₀ = x₀, yᵢ = yᵢ₋₁ + exp(xᵢ); log |det J| = Σᵢ₌₁ xᵢ. */
export class OrderedTransform extends Transform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return orderedVector;
  }
  forward(x: Tensor): Tensor {
    return cumsum(concatSafe([sliceLast(x, 0, 1), exp(sliceLast(x, 1))], -1), -1);
  }
  inverse(y: Tensor): Tensor {
    const n = y.shape[y.rank - 1]!;
    return concatSafe([sliceLast(y, 0, 1), log(sub(sliceLast(y, 1), sliceLast(y, 0, n - 1)))], -1);
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return sum(sliceLast(x, 1), -1);
  }
}
