/**
 * Inverse autoregressive flow (Kingma et al. 2016, "Improved Variational Inference with
 * Inverse Autoregressive Flow", §4): y = μ(x) + exp(s(x)) ⊙ x with (μ, s) from a MADE on the
 * input, so y_i depends on x_{≤i}: the Jacobian is triangular with diagonal exp(s), log |det|
 * = Σ s. Sampling (forward) is one pass; the inverse needs D passes, one per coordinate.
 * @module
 */
import type { Tensor } from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";
import { AutoregressiveAffineLayer } from "./autoregressive-affine-layer.js";
import type { AutoregressiveOptions } from "./autoregressive-options.js";
import { type FlowPass, FlowTransform, pickParams } from "./flow-transform.js";

/**
 * An IAF layer over R^dim; its MADE's output layer starts at zero (identity).
 * @example
 * const layer = new InverseAutoregressiveFlow(3, { hiddenDims: [16] });
 * const t = layer.bind(layer.init(key(0)));
 * t.forward(tensor([[0.1, 0.2, 0.3]])); // [[0.1, 0.2, 0.3]] at initialisation
 */
export class InverseAutoregressiveFlow extends AutoregressiveAffineLayer {
  constructor(dim: number, opts: AutoregressiveOptions = {}) {
    super(dim, opts, "InverseAutoregressiveFlow");
  }

  bind(params: Record<string, Tensor>): FlowTransform {
    return new IAFTransform(this, pickParams("InverseAutoregressiveFlow", this.paramNames, params));
  }
}

/** The bijection of an {@link InverseAutoregressiveFlow} layer under fixed params. */
export class IAFTransform extends FlowTransform {
  constructor(
    readonly layer: InverseAutoregressiveFlow,
    readonly params: Record<string, Tensor>,
  ) {
    super();
  }

  get dim(): number {
    return this.layer.dim;
  }

  forwardPass(x: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    const { shift, logScale } = this.layer.shiftAndLogScale(this.params, x, math);
    return { out: x.mul(math.exp(logScale)).add(shift), logDet: logScale.sum([-1]) };
  }

  /**
   * x_i = (y_i − μ_i(x_{<i}))·exp(−s_i(x_{<i})): after pass t the first t coordinates in the
   * order are exact, so D passes give x exactly.
   */
  inversePass(y: Tensor, math: ElementwiseMath = engineMath): FlowPass {
    let x = y.mul(0);
    let logScale = x;
    for (let t = 0; t < this.dim; t++) {
      const o = this.layer.shiftAndLogScale(this.params, x, math);
      logScale = o.logScale;
      x = y.sub(o.shift).mul(math.exp(logScale.neg()));
    }
    // The last pass's log-scales were computed from the exact x_{<i} of every coordinate.
    return { out: x, logDet: logScale.sum([-1]) };
  }
}
