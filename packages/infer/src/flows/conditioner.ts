/**
 * Conditioner networks of the coupling flows: an MLP from the kept coordinates to the
 * parameters of the transformed ones, with optional LayerNorm and residual hidden blocks,
 * and an output layer that starts at zero (so every flow starts at the identity).
 * @module
 */
import { type DType, type Key, key as makeKey, splitKey, type Tensor } from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";
import { type Activation, activations } from "../nn/activations.js";
import { kaimingUniform, xavierUniform, zeros } from "../nn/initializers.js";
import { type Layer, LayerNorm, Linear } from "../nn/layers.js";

/** Options shared by the flows' conditioner networks. */
export interface ConditionerOptions {
  /** Hidden layer widths (default [64, 64]). */
  hiddenDims?: readonly number[];
  /** Hidden activation, by name (see `nn.activations`) or as a function (default "relu"). */
  activation?: string | Activation;
  /** LayerNorm after each hidden linear map (default false; coupling flows only). */
  layerNorm?: boolean;
  /** Hidden layers of equal width add their input back (h + act(W h + b)) (default false). */
  residual?: boolean;
  /** Param dtype (default float32). */
  dtype?: DType;
}

/**
 * A hidden activation of a flow network, evaluated with the elementwise functions of `math`
 * (the portable ones in a draw pass, see `FlowTransform.drawForward`).
 */
export type FlowActivation = (x: Tensor, math: ElementwiseMath) => Tensor;

/**
 * The activations whose transcendental function is one of `ElementwiseMath`'s, so that a draw
 * pass evaluates them portably; the others (relu, leakyRelu and identity need no such function;
 * gelu and user functions) run as given.
 */
const mathActivations: Readonly<Record<string, FlowActivation>> = {
  tanh: (x, m) => m.tanh(x),
  softplus: (x, m) => m.softplus(x),
};

/** The activation function for a name or function, or an error listing the known names. */
export function resolveActivation(a: string | Activation | undefined, where: string): FlowActivation {
  if (a === undefined) return activations.relu!;
  if (typeof a === "function") return (x) => a(x);
  const f = activations[a];
  if (!f)
    throw new Error(`${where}: unknown activation '${a}' (known: ${Object.keys(activations).join(", ")})`);
  return mathActivations[a] ?? f;
}

/** Hidden widths, checked. */
export function hiddenDimsOf(opts: ConditionerOptions, where: string): number[] {
  const h = [...(opts.hiddenDims ?? [64, 64])];
  if (h.length === 0 || h.some((d) => !(Number.isInteger(d) && d > 0)))
    throw new Error(`${where}: hiddenDims must be a non-empty list of positive integers, got [${h}]`);
  return h;
}

/**
 * in → hidden… → out, with the output layer's weight and bias initialised to zero. Params:
 * `h{i}.weight`, `h{i}.bias` (hidden i), `ln{i}.scale`, `ln{i}.bias` (LayerNorm i), `out.weight`,
 * `out.bias`.
 */
export class DenseConditioner implements Layer {
  readonly paramNames: readonly string[];
  readonly #hidden: Linear[];
  readonly #norms: (LayerNorm | null)[];
  readonly #out: Linear;
  readonly #act: FlowActivation;
  readonly #residual: boolean;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: ConditionerOptions = {},
  ) {
    const where = "flow conditioner";
    const dims = hiddenDimsOf(opts, where);
    this.#act = resolveActivation(opts.activation, where);
    const reluLike =
      opts.activation === undefined || opts.activation === "relu" || opts.activation === "leakyRelu";
    const init = reluLike ? kaimingUniform() : xavierUniform();
    const sizes = [inFeatures, ...dims];
    this.#hidden = dims.map((d, i) => new Linear(sizes[i]!, d, { weightInit: init, dtype: opts.dtype }));
    this.#norms = dims.map((d) =>
      opts.layerNorm ? new LayerNorm(d, 1e-5, true, opts.dtype ?? "float32") : null,
    );
    this.#out = new Linear(dims[dims.length - 1]!, outFeatures, {
      weightInit: zeros,
      biasInit: zeros,
      dtype: opts.dtype,
    });
    this.#residual = opts.residual ?? false;
    const names: string[] = [];
    this.#hidden.forEach((_, i) => {
      names.push(`h${i}.weight`, `h${i}.bias`);
      if (this.#norms[i]) names.push(`ln${i}.scale`, `ln${i}.bias`);
    });
    names.push("out.weight", "out.bias");
    this.paramNames = names;
  }

  init(k: Key | null): Record<string, Tensor> {
    const keys = splitKey(k ?? makeKey(0), this.#hidden.length + 1);
    const out: Record<string, Tensor> = {};
    this.#hidden.forEach((lin, i) => {
      const p = lin.init(keys[i]!);
      out[`h${i}.weight`] = p.weight!;
      out[`h${i}.bias`] = p.bias!;
      const ln = this.#norms[i];
      if (ln) {
        const q = ln.init(keys[i]!);
        out[`ln${i}.scale`] = q.scale!;
        out[`ln${i}.bias`] = q.bias!;
      }
    });
    const o = this.#out.init(keys[this.#hidden.length]!);
    out["out.weight"] = o.weight!;
    out["out.bias"] = o.bias!;
    return out;
  }

  /** The network's output at `x`; `math` evaluates the activations (engineMath by default). */
  apply(p: Record<string, Tensor>, x: Tensor, math: ElementwiseMath = engineMath): Tensor {
    const need = (n: string): Tensor => {
      const v = p[n];
      if (!v) throw new Error(`flow conditioner: missing param '${n}'`);
      return v;
    };
    let h = x;
    this.#hidden.forEach((lin, i) => {
      let a = lin.apply({ weight: need(`h${i}.weight`), bias: need(`h${i}.bias`) }, h);
      const ln = this.#norms[i];
      if (ln) a = ln.apply({ scale: need(`ln${i}.scale`), bias: need(`ln${i}.bias`) }, a);
      a = this.#act(a, math);
      h = this.#residual && a.shape[a.rank - 1] === h.shape[h.rank - 1] ? h.add(a) : a;
    });
    return this.#out.apply({ weight: need("out.weight"), bias: need("out.bias") }, h);
  }
}
