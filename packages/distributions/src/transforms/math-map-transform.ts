import type { Tensor } from "@scribe/core";
import { drawMath, type ElementwiseMath, engineMath } from "./elementwise-math.js";
import { Transform } from "./transform.js";

/**
 * A transform whose map and inverse map are written once over an {@link ElementwiseMath}
 * bundle: `forward`/`inverse` evaluate them with core's ordinary ops (log-densities, gradients),
 * `drawForward`/`drawInverse` with the portable ones (draws with the same bits in every engine).
 */
export abstract class MathMapTransform extends Transform {
  /** y = f(x), with the elementwise functions of `math`. */
  protected abstract map(x: Tensor, math: ElementwiseMath): Tensor;
  /** x = f⁻¹(y), with the elementwise functions of `math`. */
  protected abstract unmap(y: Tensor, math: ElementwiseMath): Tensor;
  forward(x: Tensor): Tensor {
    return this.map(x, engineMath);
  }
  inverse(y: Tensor): Tensor {
    return this.unmap(y, engineMath);
  }
  override drawForward(x: Tensor): Tensor {
    return this.map(x, drawMath);
  }
  override drawInverse(y: Tensor): Tensor {
    return this.unmap(y, drawMath);
  }
}
