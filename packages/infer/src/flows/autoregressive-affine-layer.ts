/**
 * What the masked and inverse autoregressive flows share: one MADE giving a shift and a
 * (soft-clamped) log-scale per coordinate. They differ only in which side of the bijection
 * feeds the MADE, so which direction is one pass and which takes D passes.
 * @module
 */
import type { Key, Tensor } from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";
import { clampBound } from "./affine-coupling.js";
import type { AutoregressiveOptions } from "./autoregressive-options.js";
import { type FlowLayer, type FlowTransform, softClamp } from "./flow-transform.js";
import { Made } from "./made.js";

/** An affine autoregressive layer over R^dim; its MADE's output layer starts at zero (identity). */
export abstract class AutoregressiveAffineLayer implements FlowLayer {
  readonly paramNames: readonly string[];
  /** The autoregressive network giving (shift, raw log-scale). */
  readonly made: Made;
  readonly #clamp: number | null;

  /** @param layerName The class name, for error messages. */
  constructor(
    readonly dim: number,
    opts: AutoregressiveOptions,
    layerName: string,
  ) {
    this.made = new Made(dim, 2, opts);
    this.#clamp = clampBound(opts, layerName);
    this.paramNames = this.made.paramNames;
  }

  init(k: Key | null): Record<string, Tensor> {
    return this.made.init(k);
  }

  abstract bind(params: Record<string, Tensor>): FlowTransform;

  /** Shift and clamped log-scale given the autoregressive input, evaluated with `math`. */
  shiftAndLogScale(
    params: Record<string, Tensor>,
    input: Tensor,
    math: ElementwiseMath = engineMath,
  ): { shift: Tensor; logScale: Tensor } {
    const [shift, raw] = this.made.outputs(params, input, math) as [Tensor, Tensor];
    return { shift, logScale: softClamp(raw, this.#clamp, math) };
  }
}
