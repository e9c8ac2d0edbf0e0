import { cumsum, sub, sum, type Tensor } from "@scribe/core";
import { type Constraint, orderedVector, realVector } from "../constraints.js";
import { concatSafe, sliceLast } from "../linalg-utils.js";
import type { ElementwiseMath } from "./elementwise-math.js";
import { MathMapTransform } from "./math-map-transform.js";

/** Reals → strictly increasing vectors: y₀ = x₀, yᵢ = yᵢ₋₁ + exp(xᵢ); log |det J| = Σᵢ₌₁ xᵢ. */
export class OrderedTransform extends MathMapTransform {
  get domain(): Constraint {
    return realVector;
  }
  get codomain(): Constraint {
    return orderedVector;
  }
  protected map(x: Tensor, m: ElementwiseMath): Tensor {
    return cumsum(concatSafe([sliceLast(x, 0, 1), m.exp(sliceLast(x, 1))], -1), -1);
  }
  protected unmap(y: Tensor, m: ElementwiseMath): Tensor {
    const n = y.shape[y.rank - 1]!;
    return concatSafe([sliceLast(y, 0, 1), m.log(sub(sliceLast(y, 1), sliceLast(y, 0, n - 1)))], -1);
  }
  logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return sum(sliceLast(x, 1), -1);
  }
}
