/**
 * Layers: objects with `paramNames`, `init(key)` and a pure `apply(params, x)` — core's
 * `ModuleLike` — so that `module(name, layer)` registers their params in a model or a
 * guide (params named `${name}$params.${p}`) and SVI learns them.
 * @module
 */

import type { ModuleLike } from "@scribe/core";
import { type DType, type Key, key as makeKey, prngKey, random, splitKey, type Tensor } from "@scribe/core";
import type { Activation } from "./activations.js";
import { type Initializer, ones, xavierUniform, zeros } from "./initializers.js";

/** A layer taking and returning one tensor. */
export type Layer = ModuleLike<[Tensor], Tensor>;

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
  /** Weight initializer (default Xavier uniform). */
  weightInit?: Initializer;
  /** Bias initializer (default zeros). */
  biasInit?: Initializer;
  /** Param dtype (default float32). */
  dtype?: DType;
}

/**
 * y = x·W + b with W of shape [inFeatures, outFeatures]; x may have any leading dims.
 * @example
 * const lin = new Linear(3, 2);
 * const y = lin.apply(lin.init(key(0)), ones([5, 3]));
 * y.shape; // [5, 2]
 */
export class Linear implements Layer {
  readonly paramNames: readonly string[];
  readonly #opts: LinearOptions;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    if (!(Number.isInteger(inFeatures) && inFeatures > 0 && Number.isInteger(outFeatures) && outFeatures > 0))
      throw new Error(`Linear: feature sizes must be positive integers, got ${inFeatures} → ${outFeatures}`);
    this.#opts = opts;
    this.paramNames = opts.bias === false ? ["weight"] : ["weight", "bias"];
  }

  /** Initial weight (and bias); a null key uses key(0). */
  init(k: Key | null): Record<string, Tensor> {
    const [kw, kb] = splitKey(k ?? makeKey(0), 2);
    const o = this.#opts;
    const out: Record<string, Tensor> = {
      weight: (o.weightInit ?? xavierUniform())(kw!, [this.inFeatures, this.outFeatures], o.dtype),
    };
    if (o.bias !== false) out.bias = (o.biasInit ?? zeros)(kb!, [this.outFeatures], o.dtype);
    return out;
  }

  /** x·W + b. */
  apply(p: Record<string, Tensor>, x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures)
      throw new Error(
        `Linear(${this.inFeatures} → ${this.outFeatures}): input has shape [${x.shape}], last dim must be ${this.inFeatures}`,
      );
    const y = x.matmul(p.weight!);
    return p.bias ? y.add(p.bias) : y;
  }
}

/** A parameter-free layer applying an activation. */
export class ActivationLayer implements Layer {
  readonly paramNames: readonly string[] = [];
  constructor(readonly fn: Activation) {}
  init(): Record<string, Tensor> {
    return {};
  }
  apply(_p: Record<string, Tensor>, x: Tensor): Tensor {
    return this.fn(x);
  }
}

/**
 * Layer normalization over the last dim: (x − mean)/√(var + eps)·γ + β.
 * @example
 * const ln = new LayerNorm(16);
 */
export class LayerNorm implements Layer {
  readonly paramNames: readonly string[];
  constructor(
    readonly features: number,
    readonly eps = 1e-5,
    readonly affine = true,
    readonly dtype: DType = "float32",
  ) {
    this.paramNames = affine ? ["scale", "bias"] : [];
  }
  init(k: Key | null): Record<string, Tensor> {
    if (!this.affine) return {};
    const kk = k ?? makeKey(0);
    return { scale: ones(kk, [this.features], this.dtype), bias: zeros(kk, [this.features], this.dtype) };
  }
  apply(p: Record<string, Tensor>, x: Tensor): Tensor {
    const ax = x.rank - 1;
    const mu = x.mean([ax], true);
    const c = x.sub(mu);
    const v = c.square().mean([ax], true);
    const y = c.div(v.add(this.eps).sqrt());
    return this.affine ? y.mul(p.scale!).add(p.bias!) : y;
  }
}

/**
 * Dropout: while `training`, zeroes each entry with probability `rate` and rescales the rest
 * by 1/(1 − rate); its key comes from the enclosing `seed` (through `prngKey()`). With
 * `training = false` it is the identity.
 */
export class Dropout implements Layer {
  readonly paramNames: readonly string[] = [];
  /** Whether dropout is active. */
  training = true;
  constructor(readonly rate: number) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`Dropout: rate must be in [0, 1), got ${rate}`);
  }
  init(): Record<string, Tensor> {
    return {};
  }
  apply(_p: Record<string, Tensor>, x: Tensor): Tensor {
    if (!this.training || this.rate === 0) return x;
    const k = prngKey();
    if (!k) throw new Error("Dropout: no random key; run under seed(), or set `training = false`");
    const keepMask = random
      .uniform(k, [...x.shape], 0, 1, { dtype: x.dtype === "float64" ? "float64" : "float32" })
      .ge(this.rate);
    return x.mul(keepMask.astype(x.dtype)).div(1 - this.rate);
  }
}

/**
 * Layers applied in order; the params of layer i are named `${i}.${param}`.
 * @example
 * const net = new Sequential([new Linear(4, 8), new ActivationLayer(relu), new Linear(8, 1)]);
 */
export class Sequential implements Layer {
  readonly paramNames: readonly string[];
  constructor(readonly layers: readonly Layer[]) {
    this.paramNames = layers.flatMap((l, i) => l.paramNames.map((p) => `${i}.${p}`));
  }
  init(k: Key | null): Record<string, Tensor> {
    const keys = splitKey(k ?? makeKey(0), Math.max(1, this.layers.length));
    const out: Record<string, Tensor> = {};
    this.layers.forEach((l, i) => {
      for (const [p, t] of Object.entries(l.init(keys[i]!))) out[`${i}.${p}`] = t;
    });
    return out;
  }
  apply(p: Record<string, Tensor>, x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((l, i) => {
      const sub: Record<string, Tensor> = {};
      for (const name of l.paramNames) sub[name] = p[`${i}.${name}`]!;
      h = l.apply(sub, h);
    });
    return h;
  }
}
