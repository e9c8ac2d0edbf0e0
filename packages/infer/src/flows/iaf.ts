/**
 * Inverse autoregressive flow (Kingma et al. 2016, "Improved Variational Inference with
 * Inverse Autoregressive Flow", §4): y = μ(x) + exp(s(x)) ⊙ x with (μ, s) from a MADE on the
 * input, so y_i depends on x_{≤i}: the Jacobian is triangular with diagonal exp(s), log |det|
 * = Σ s. Sampling (forward) is one pass; the inverse needs D passes, one per coordinate.
 * @module
 */
import type { Key, Tensor } from "@scribe/core";
import { clampBound } from "./affine-coupling.js";
import type { AutoregressiveOptions } from "./autoregressive-options.js";
import { type FlowLayer, type FlowPass, FlowTransform, pickParams, softClamp } from "./flow-transform.js";
import { Made } from "./made.js";

/**
 * An IAF layer over R^dim; its MADE's output layer starts at zero (identity).
 * @example
 * const layer = new InverseAutoregressiveFlow(3, { hiddenDims: [16] });
 * const t = layer.bind(layer.init(key(0)));
 * t.forward(tensor([[0.1, 0.2, 0.3]])); // [[0.1, 0.2, 0.3]] at initialisation
 */
export class InverseAutoregressiveFlow implements FlowLayer {
  readonly paramNames: readonly string[];
  /** The autoregressive network giving (shift, raw log-scale). */
  readonly made: Made;
  readonly #clamp: number | null;

  constructor(
    readonly dim: number,
    opts: AutoregressiveOptions = {},
  ) {
    this.made = new Made(dim, 2, opts);
    this.#clamp = clampBound(opts, "InverseAutoregressiveFlow");
    this.paramNames = this.made.paramNames;
  }

  init(k: Key | null): Record<string, Tensor> {
    return this.made.init(k);
  }

  bind(params: Record<string, Tensor>): FlowTransform {
    return new IAFTransform(this, pickParams("InverseAutoregressiveFlow", this.paramNames, params));
  }

  /** Shift and clamped log-scale given the autoregressive input. */
  shiftAndLogScale(params: Record<string, Tensor>, x: Tensor): { shift: Tensor; logScale: Tensor } {
    const [shift, raw] = this.made.outputs(params, x) as [Tensor, Tensor];
    return { shift, logScale: softClamp(raw, this.#clamp) };
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

  forwardPass(x: Tensor): FlowPass {
    const { shift, logScale } = this.layer.shiftAndLogScale(this.params, x);
    return { out: x.mul(logScale.exp()).add(shift), logDet: logScale.sum([-1]) };
  }

  /**
   * x_i = (y_i − μ_i(x_{<i}))·exp(−s_i(x_{<i})): after pass t the first t coordinates in the
   * order are exact, so D passes give x exactly.
   */
  inversePass(y: Tensor): FlowPass {
    let x = y.mul(0);
    let logScale = x;
    for (let t = 0; t < this.dim; t++) {
      const o = this.layer.shiftAndLogScale(this.params, x);
      logScale = o.logScale;
      x = y.sub(o.shift).mul(logScale.neg().exp());
    }
    // The last pass's log-scales were computed from the exact x_{<i} of every coordinate.
    return { out: x, logDet: logScale.sum([-1]) };
  }
}
