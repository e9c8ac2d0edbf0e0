/**
 * y = loc + scale ⊙ x on R^D as a flow transform (with the flows' pass cache), so a flow
 * guide's final affine map hands its input back to the flow layers below it unchanged and
 * their cached passes are reused when a draw is scored.
 * @module
 */
import type { Tensor } from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";
import { type FlowPass, FlowTransform } from "./flow-transform.js";

/**
 * The elementwise affine map with a positive `scale` [D] and a `loc` [D].
 * @example
 * const t = new ElementwiseAffine(tensor([1, 2]), tensor([0.5, 3]));
 * t.forward(tensor([2, 1])); // [2, 5]
 */
export class ElementwiseAffine extends FlowTransform {
  constructor(
    readonly loc: Tensor,
    readonly scale: Tensor,
  ) {
    super();
    if (loc.rank !== 1 || scale.rank !== 1 || loc.shape[0] !== scale.shape[0])
      throw new Error(
        `ElementwiseAffine: loc [${loc.shape}] and scale [${scale.shape}] must be vectors of the same length`,
      );
  }

  get dim(): number {
    return this.loc.shape[0]!;
  }

  forwardPass(x: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    return { out: x.mul(this.scale).add(this.loc), logDet: this.#logDet(x, math) };
  }

  inversePass(y: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    return { out: y.sub(this.loc).div(this.scale), logDet: this.#logDet(y, math) };
  }

  /** Σ log scale, broadcast to the batch shape of `v`. */
  #logDet(v: Tensor, math: ElementwiseMath): Tensor {
    return v.mul(0).add(math.log(this.scale)).sum([-1]);
  }
}
