/**
 * Multi-layer perceptrons built from `Linear` layers.
 * @module
 */
import type { DType } from "@scribe/core";
import { type Activation, activations } from "./activations.js";
import { type Initializer, kaimingUniform, xavierUniform } from "./initializers.js";
import { ActivationLayer, Dropout, type Layer, LayerNorm, Linear, Sequential } from "./layers.js";

/** Options of {@link mlp}. */
export interface MLPOptions {
  /** Hidden activation, by name or as a function (default "relu"). */
  activation?: string | Activation;
  /** Activation after the last layer (default none). */
  outputActivation?: string | Activation;
  /** LayerNorm after each hidden Linear (default false). */
  layerNorm?: boolean;
  /** Dropout rate after each hidden activation (default 0: none). */
  dropout?: number;
  /** Weight initializer (default Kaiming uniform for relu-like activations, Xavier otherwise). */
  weightInit?: Initializer;
  /** Param dtype (default float32). */
  dtype?: DType;
}

function resolve(a: string | Activation): Activation {
  if (typeof a === "function") return a;
  const f = activations[a];
  if (!f) throw new Error(`mlp: unknown activation '${a}' (known: ${Object.keys(activations).join(", ")})`);
  return f;
}

/**
 * An MLP with layer sizes `sizes` (input first, output last), e.g. `[G, 128, 10]`.
 * Use it in a model or guide through `module`.
 * @example
 * const encoder = mlp([20, 32, 4], { activation: "softplus" });
 * const guide = (x: Tensor) => {
 *   const out = module("encoder", encoder)(x); // params "encoder$params.0.weight", ...
 * };
 */
export function mlp(sizes: readonly number[], opts: MLPOptions = {}): Sequential {
  if (sizes.length < 2) throw new Error(`mlp: need at least input and output sizes, got [${sizes}]`);
  const actName = opts.activation ?? "relu";
  const act = resolve(actName);
  const reluLike = typeof actName === "string" && (actName === "relu" || actName === "leakyRelu");
  const weightInit = opts.weightInit ?? (reluLike ? kaimingUniform() : xavierUniform());
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const last = i + 2 === sizes.length;
    layers.push(
      new Linear(sizes[i]!, sizes[i + 1]!, {
        weightInit: last ? xavierUniform() : weightInit,
        dtype: opts.dtype,
      }),
    );
    if (!last) {
      if (opts.layerNorm) layers.push(new LayerNorm(sizes[i + 1]!, 1e-5, true, opts.dtype));
      layers.push(new ActivationLayer(act));
      if (opts.dropout) layers.push(new Dropout(opts.dropout));
    }
  }
  if (opts.outputActivation) layers.push(new ActivationLayer(resolve(opts.outputActivation)));
  return new Sequential(layers);
}
