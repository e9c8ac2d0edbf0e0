/**
 * A linear layer whose weight is multiplied by a fixed 0/1 mask: the building block of MADE
 * (Germain et al. 2015, "MADE: Masked Autoencoder for Distribution Estimation"), where the
 * mask removes every connection that would let an output see inputs it must not depend on.
 * @module
 */
import {
  type Backend,
  currentBackend,
  type DType,
  type Key,
  keep,
  key as makeKey,
  splitKey,
  type Tensor,
  tensor,
} from "@scribe/core";
import { type Initializer, xavierUniform, zeros } from "./initializers.js";
import type { Layer } from "./layers.js";

/** Options of {@link MaskedLinear}. */
export interface MaskedLinearOptions {
  /** Weight initializer (default Xavier uniform); the mask is applied on top. */
  weightInit?: Initializer;
  /** Bias initializer (default zeros). */
  biasInit?: Initializer;
  /** Param dtype (default float32). */
  dtype?: DType;
}

/**
 * y = x·(W ⊙ M) + b with a fixed mask M of shape [inFeatures, outFeatures] (1 keeps the
 * connection from input i to output j, 0 removes it). The mask is a constant, not a param.
 * @example
 * // output 1 may see input 0 only; output 0 sees nothing (its value is the bias)
 * const lin = new MaskedLinear([[0, 1], [0, 0]]);
 * const y = lin.apply(lin.init(key(0)), ones([5, 2]));
 * y.shape; // [5, 2]
 */
export class MaskedLinear implements Layer {
  readonly paramNames: readonly string[] = ["weight", "bias"];
  /** Number of inputs. */
  readonly inFeatures: number;
  /** Number of outputs. */
  readonly outFeatures: number;
  readonly #mask: readonly (readonly number[])[];
  readonly #opts: MaskedLinearOptions;
  // One kept copy per backend: built on first use, it outlives the memory scope it was made in.
  readonly #maskTensors = new Map<Backend, Tensor>();

  constructor(mask: readonly (readonly number[])[], opts: MaskedLinearOptions = {}) {
    const rows = mask.length;
    const cols = mask[0]?.length ?? 0;
    if (rows === 0 || cols === 0)
      throw new Error("MaskedLinear: the mask must be a non-empty [in, out] matrix");
    mask.forEach((row, i) => {
      if (row.length !== cols)
        throw new Error(`MaskedLinear: mask row ${i} has ${row.length} entries, expected ${cols}`);
      for (const v of row)
        if (v !== 0 && v !== 1)
          throw new Error(`MaskedLinear: mask row ${i} holds ${v}; entries must be 0 or 1`);
    });
    this.inFeatures = rows;
    this.outFeatures = cols;
    this.#mask = mask.map((r) => [...r]);
    this.#opts = opts;
  }

  /** The mask as a tensor of the param dtype on the current backend (built once per backend). */
  maskTensor(): Tensor {
    const b = currentBackend();
    let m = this.#maskTensors.get(b);
    if (!m || m.isDisposed) {
      m = keep(
        tensor(
          this.#mask.map((r) => [...r]),
          { dtype: this.#opts.dtype === "float64" ? "float64" : "float32" },
        ),
      );
      this.#maskTensors.set(b, m);
    }
    return m;
  }

  /** Initial weight (masked entries start at 0) and bias; a null key uses key(0). */
  init(k: Key | null): Record<string, Tensor> {
    const [kw, kb] = splitKey(k ?? makeKey(0), 2);
    const o = this.#opts;
    const w = (o.weightInit ?? xavierUniform())(kw!, [this.inFeatures, this.outFeatures], o.dtype);
    return {
      weight: w.mul(this.maskTensor()),
      bias: (o.biasInit ?? zeros)(kb!, [this.outFeatures], o.dtype),
    };
  }

  /** x·(W ⊙ M) + b. */
  apply(p: Record<string, Tensor>, x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures)
      throw new Error(
        `MaskedLinear(${this.inFeatures} → ${this.outFeatures}): input has shape [${x.shape}], last dim must be ${this.inFeatures}`,
      );
    const w = p.weight;
    const b = p.bias;
    if (!w || !b) throw new Error("MaskedLinear: params need 'weight' and 'bias'");
    return x.matmul(w.mul(this.maskTensor())).add(b);
  }
}
