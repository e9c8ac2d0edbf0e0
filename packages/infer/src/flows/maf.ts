/**
 * Masked autoregressive flow (Papamakarios et al. 2017, "Masked Autoregressive Flow for
 * Density Estimation", §3): with (μ, s) from a MADE on the *output*, y_i = μ_i(y_{<i}) +
 * exp(s_i(y_{<i}))·x_i. Its inverse x = (y − μ(y)) ⊙ exp(−s(y)) is one pass, so densities
 * are fast; sampling (forward) needs D passes. log |det ∂y/∂x| = Σ s(y).
 * @module
 */
import type { Tensor } from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";
import { AutoregressiveAffineLayer } from "./autoregressive-affine-layer.js";
import type { AutoregressiveOptions } from "./autoregressive-options.js";
import { type FlowPass, FlowTransform, pickParams } from "./flow-transform.js";

/**
 * A MAF layer over R^dim; its MADE's output layer starts at zero (identity).
 * @example
 * const layer = new MaskedAutoregressiveFlow(3, { hiddenDims: [16] });
 * const t = layer.bind(layer.init(key(0)));
 * t.inverse(tensor([[0.1, 0.2, 0.3]])); // [[0.1, 0.2, 0.3]] at initialisation
 */
export class MaskedAutoregressiveFlow extends AutoregressiveAffineLayer {
  constructor(dim: number, opts: AutoregressiveOptions = {}) {
    super(dim, opts, "MaskedAutoregressiveFlow");
  }

  bind(params: Record<string, Tensor>): FlowTransform {
    return new MAFTransform(this, pickParams("MaskedAutoregressiveFlow", this.paramNames, params));
  }
}

/** The bijection of a {@link MaskedAutoregressiveFlow} layer under fixed params. */
export class MAFTransform extends FlowTransform {
  constructor(
    readonly layer: MaskedAutoregressiveFlow,
    readonly params: Record<string, Tensor>,
  ) {
    super();
  }

  get dim(): number {
    return this.layer.dim;
  }

  /** D passes: after pass t the first t coordinates of y in the order are exact. */
  forwardPass(x: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    let y = x.mul(0);
    let logScale = y;
    for (let t = 0; t < this.dim; t++) {
      const o = this.layer.shiftAndLogScale(this.params, y, math);
      logScale = o.logScale;
      y = x.mul(math.exp(logScale)).add(o.shift);
    }
    return { out: y, logDet: logScale.sum([-1]) };
  }

  inversePass(y: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    const { shift, logScale } = this.layer.shiftAndLogScale(this.params, y, math);
    return { out: y.sub(shift).mul(math.exp(logScale.neg())), logDet: logScale.sum([-1]) };
  }
}
