/**
 * MADE (Germain et al. 2015, "MADE: Masked Autoencoder for Distribution Estimation", §4):
 * an MLP whose masked weights make output i depend only on the inputs that come before i in
 * a chosen order. Hidden unit k gets a degree m_k ∈ [1, D − 1]; a hidden unit sees input j
 * when m_k ≥ deg(j), an output of coordinate i sees hidden unit k when deg(i) > m_k.
 * @module
 */
import { type Key, key as makeKey, split, splitKey, type Tensor } from "@scribe/core";
import { type ElementwiseMath, engineMath } from "@scribe/distributions";
import { kaimingUniform, xavierUniform, zeros } from "../nn/initializers.js";
import type { Layer } from "../nn/layers.js";
import { MaskedLinear } from "../nn/masked-linear.js";
import {
  type ConditionerOptions,
  type FlowActivation,
  hiddenDimsOf,
  resolveActivation,
} from "./conditioner.js";

/** Options of {@link Made}. */
export interface MadeOptions extends ConditionerOptions {
  /** Reverse the autoregressive order (coordinate D − 1 first); alternate it between layers. */
  reverse?: boolean;
}

function connect(from: readonly number[], to: readonly number[], strict: boolean): number[][] {
  return from.map((a) => to.map((b) => (strict ? (b > a ? 1 : 0) : b >= a ? 1 : 0)));
}

/**
 * A MADE network R^D → (R^D)^m: `apply` returns the m outputs per coordinate concatenated
 * (block j holds output j of every coordinate; use {@link Made.outputs} to split them). The
 * output layer starts at zero. Params: `h{i}.weight`, `h{i}.bias`, `out.weight`, `out.bias`.
 * @example
 * const made = new Made(3, 2, { hiddenDims: [8] });
 * const [shift, logScale] = made.outputs(made.init(key(0)), ones([4, 3])); // each [4, 3]
 */
export class Made implements Layer {
  readonly paramNames: readonly string[];
  /** Degree of each input coordinate (1-based position in the autoregressive order). */
  readonly inputDegrees: readonly number[];
  readonly #hidden: MaskedLinear[];
  readonly #out: MaskedLinear;
  readonly #act: FlowActivation;
  readonly #residual: boolean;

  constructor(
    readonly dim: number,
    readonly outputsPerDim: number,
    opts: MadeOptions = {},
  ) {
    const where = "MADE";
    if (!(Number.isInteger(dim) && dim > 0))
      throw new Error(`${where}: dim must be a positive integer, got ${dim}`);
    if (opts.layerNorm)
      throw new Error(
        `${where}: layerNorm is not available in autoregressive flows (MAF/IAF): normalising across hidden units would mix units of every degree and break the autoregressive structure; use a coupling flow for layer norm`,
      );
    const dims = hiddenDimsOf(opts, where);
    this.#act = resolveActivation(opts.activation, where);
    this.#residual = opts.residual ?? false;
    this.inputDegrees = Array.from({ length: dim }, (_, i) => (opts.reverse ? dim - i : i + 1));
    const span = Math.max(1, dim - 1);
    const hiddenDegrees = dims.map((h) => Array.from({ length: h }, (_, k) => (k % span) + 1));
    const reluLike =
      opts.activation === undefined || opts.activation === "relu" || opts.activation === "leakyRelu";
    const init = reluLike ? kaimingUniform() : xavierUniform();
    let prev = [...this.inputDegrees];
    this.#hidden = hiddenDegrees.map((deg) => {
      const lin = new MaskedLinear(connect(prev, deg, false), { weightInit: init, dtype: opts.dtype });
      prev = deg;
      return lin;
    });
    const outDegrees = Array.from({ length: outputsPerDim }, () => this.inputDegrees).flat();
    this.#out = new MaskedLinear(connect(prev, outDegrees, true), {
      weightInit: zeros,
      biasInit: zeros,
      dtype: opts.dtype,
    });
    this.paramNames = [
      ...this.#hidden.flatMap((_, i) => [`h${i}.weight`, `h${i}.bias`]),
      "out.weight",
      "out.bias",
    ];
  }

  init(k: Key | null): Record<string, Tensor> {
    const keys = splitKey(k ?? makeKey(0), this.#hidden.length + 1);
    const out: Record<string, Tensor> = {};
    this.#hidden.forEach((lin, i) => {
      const p = lin.init(keys[i]!);
      out[`h${i}.weight`] = p.weight!;
      out[`h${i}.bias`] = p.bias!;
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
      if (!v) throw new Error(`MADE: missing param '${n}'`);
      return v;
    };
    let h = x;
    this.#hidden.forEach((lin, i) => {
      const a = this.#act(lin.apply({ weight: need(`h${i}.weight`), bias: need(`h${i}.bias`) }, h), math);
      // A residual keeps unit k's degree (it adds unit k to itself), so the order is preserved.
      h = this.#residual && i > 0 && a.shape[a.rank - 1] === h.shape[h.rank - 1] ? h.add(a) : a;
    });
    return this.#out.apply({ weight: need("out.weight"), bias: need("out.bias") }, h);
  }

  /** The m outputs, each [..., D]. */
  outputs(p: Record<string, Tensor>, x: Tensor, math: ElementwiseMath = engineMath): Tensor[] {
    return split(this.apply(p, x, math), this.outputsPerDim, -1);
  }
}
