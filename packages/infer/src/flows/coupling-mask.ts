/**
 * The binary masks of the coupling flows (Dinh et al. 2017, "Density estimation using Real
 * NVP", §3.4): coordinates of one parity pass through unchanged and condition the others;
 * successive layers alternate the parity so every coordinate is transformed.
 * @module
 */
import { type Backend, currentBackend, type DType, keep, type Tensor, tensor } from "@scribe/core";

/** A coupling mask: which coordinates a layer keeps (1) and which it transforms (0). */
export class CouplingMask {
  /** 1 where the coordinate is kept (conditions), 0 where it is transformed. */
  readonly kept: readonly number[];
  // Constant tensors, one kept copy per backend and dtype (they outlive the scope that made them).
  readonly #cache = new Map<Backend, Map<string, Tensor>>();

  /**
   * `parity` 0 keeps the even coordinates (0, 2, …), 1 the odd ones. With dim 1 nothing can
   * condition the single coordinate, so it is transformed by a constant (learned) map.
   */
  constructor(
    readonly dim: number,
    readonly parity: 0 | 1,
  ) {
    if (!(Number.isInteger(dim) && dim > 0))
      throw new Error(`coupling flow: dim must be a positive integer, got ${dim}`);
    this.kept = Array.from({ length: dim }, (_, i) => (dim > 1 && i % 2 === parity ? 1 : 0));
  }

  /** The mask as a float tensor (1 = kept) of `dtype` on the current backend. */
  keptTensor(dtype: DType): Tensor {
    return this.#constant(`kept:${dtype}`, () => tensor([...this.kept], { dtype }));
  }

  /** The mask as a bool tensor (true = kept) on the current backend. */
  keptBool(): Tensor {
    return this.#constant("bool", () => tensor([...this.kept]).gt(0));
  }

  #constant(name: string, make: () => Tensor): Tensor {
    const b = currentBackend();
    let m = this.#cache.get(b);
    if (!m) {
      m = new Map();
      this.#cache.set(b, m);
    }
    let t = m.get(name);
    if (!t || t.isDisposed) {
      t = keep(make());
      m.set(name, t);
    }
    return t;
  }
}
