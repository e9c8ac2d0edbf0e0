/**
 * Euclidean metrics for HMC (diagonal or dense inverse mass matrices) and the Welford
 * estimators used to adapt them, with Stan-style regularization.
 * @module
 */
import type { RngStream } from "./rng-stream.js";

/** Lower Cholesky factor (row-major, n×n) of a symmetric positive-definite matrix; throws if it is not. */
export function choleskyLower(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    if (!(d > 0)) throw new Error(`mass matrix: not positive definite at pivot ${j} (value ${d})`);
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/**
 * The inverse mass matrix `M⁻¹` of the kinetic energy `½ rᵀ M⁻¹ r`: a vector (diagonal)
 * or a row-major matrix (dense). Momenta are drawn from N(0, M).
 */
export class MassMatrix {
  /** Number of parameters. */
  readonly dim: number;
  /** Whether `inverse` is a full matrix. */
  readonly dense: boolean;
  /** `M⁻¹`: length `dim` (diagonal) or `dim²` (dense, row-major). */
  readonly inverse: Float64Array;
  // Diagonal: 1/sqrt(M⁻¹). Dense: the lower Cholesky factor L of M⁻¹ (M = L⁻ᵀ L⁻¹).
  readonly #factor: Float64Array;

  /**
   * @param dim - number of parameters
   * @param dense - full matrix or diagonal
   * @param inverse - `M⁻¹` (default identity)
   */
  constructor(dim: number, dense: boolean, inverse?: Float64Array) {
    this.dim = dim;
    this.dense = dense;
    if (inverse) {
      if (inverse.length !== (dense ? dim * dim : dim))
        throw new Error(
          `inverse mass matrix: expected ${dense ? dim * dim : dim} entries, got ${inverse.length}`,
        );
      this.inverse = Float64Array.from(inverse);
    } else {
      this.inverse = new Float64Array(dense ? dim * dim : dim);
      for (let i = 0; i < dim; i++) this.inverse[dense ? i * dim + i : i] = 1;
    }
    if (dense) this.#factor = choleskyLower(this.inverse, dim);
    else {
      this.#factor = new Float64Array(dim);
      for (let i = 0; i < dim; i++) {
        const m = this.inverse[i]!;
        if (!(m > 0 && Number.isFinite(m)))
          throw new Error(`inverse mass matrix: entry ${i} is ${m}, must be positive`);
        this.#factor[i] = 1 / Math.sqrt(m);
      }
    }
  }

  /** `out = M⁻¹ r` (the velocity). */
  velocity(r: Float64Array, out: Float64Array): void {
    const n = this.dim;
    const m = this.inverse;
    if (!this.dense) {
      for (let i = 0; i < n; i++) out[i] = m[i]! * r[i]!;
      return;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += m[row + j]! * r[j]!;
      out[i] = s;
    }
  }

  /** Draw `r ~ N(0, M)` into `out`. */
  sampleMomentum(rng: RngStream, out: Float64Array): void {
    const n = this.dim;
    const f = this.#factor;
    if (!this.dense) {
      for (let i = 0; i < n; i++) out[i] = rng.normal() * f[i]!;
      return;
    }
    // r = L⁻ᵀ ζ: back-substitution with Lᵀ (upper triangular).
    for (let i = 0; i < n; i++) out[i] = rng.normal();
    for (let i = n - 1; i >= 0; i--) {
      let s = out[i]!;
      for (let k = i + 1; k < n; k++) s -= f[k * n + i]! * out[k]!;
      out[i] = s / f[i * n + i]!;
    }
  }
}

/** Kinetic energy `½ r·v` given the velocity `v = M⁻¹ r`. */
export function kineticEnergy(r: Float64Array, v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * v[i]!;
  return 0.5 * s;
}

/**
 * Streaming mean and (co)variance (Welford's algorithm): diagonal variances or a full
 * covariance matrix, in one pass.
 */
/** {@link Welford}'s accumulators as plain JSON-able data. */
export interface WelfordState {
  count: number;
  mean: number[];
  /** Sums of squared deviations: `dim` entries (diagonal) or `dim²` (dense, row-major). */
  m2: number[];
}

export class Welford {
  /** Draws seen so far. */
  count = 0;
  /** Running mean. */
  readonly mean: Float64Array;
  // Sum of squared deviations: length dim (diagonal) or dim² (dense).
  readonly #m2: Float64Array;
  readonly #delta: Float64Array;

  /**
   * @param dim - number of coordinates
   * @param dense - track the full covariance matrix
   */
  constructor(
    readonly dim: number,
    readonly dense: boolean,
  ) {
    this.mean = new Float64Array(dim);
    this.#m2 = new Float64Array(dense ? dim * dim : dim);
    this.#delta = new Float64Array(dim);
  }

  /** Add one draw. */
  update(x: ArrayLike<number>): void {
    const n = this.dim;
    this.count++;
    const d = this.#delta;
    for (let i = 0; i < n; i++) {
      d[i] = x[i]! - this.mean[i]!;
      this.mean[i]! += d[i]! / this.count;
    }
    const m2 = this.#m2;
    if (!this.dense) {
      for (let i = 0; i < n; i++) m2[i]! += d[i]! * (x[i]! - this.mean[i]!);
      return;
    }
    for (let i = 0; i < n; i++) {
      const ai = x[i]! - this.mean[i]!;
      const row = i * n;
      for (let j = 0; j < n; j++) m2[row + j]! += ai * d[j]!;
    }
  }

  /** The accumulators as plain data (to checkpoint a warmup window). */
  getState(): WelfordState {
    return { count: this.count, mean: Array.from(this.mean), m2: Array.from(this.#m2) };
  }

  /** Restore accumulators saved by {@link getState} (same `dim` and `dense`). */
  setState(s: WelfordState): void {
    if (
      !Number.isSafeInteger(s.count) ||
      s.count < 0 ||
      s.mean?.length !== this.dim ||
      s.m2?.length !== this.#m2.length
    )
      throw new Error(
        `Welford: a saved state needs count >= 0, ${this.dim} means and ${this.#m2.length} second moments`,
      );
    this.count = s.count;
    this.mean.set(s.mean);
    this.#m2.set(s.m2);
  }

  /** Forget all draws. */
  reset(): void {
    this.count = 0;
    this.mean.fill(0);
    this.#m2.fill(0);
  }

  /**
   * The sample (co)variance with divisor `count − 1`; with `regularize`, shrunk toward
   * `1e-3 · I` as Stan does: `(n/(n+5))·cov + 1e-3·(5/(n+5))·I`.
   */
  covariance(regularize = true): Float64Array {
    const n = this.count;
    if (n < 2) throw new Error(`Welford: need at least 2 draws for a variance, got ${n}`);
    const out = this.#m2.map((v) => v / (n - 1));
    if (regularize) {
      const w = n / (n + 5);
      const shrink = 1e-3 * (5 / (n + 5));
      for (let i = 0; i < out.length; i++) out[i]! *= w;
      for (let i = 0; i < this.dim; i++) out[this.dense ? i * this.dim + i : i]! += shrink;
    }
    if (this.dense) {
      // Symmetrize against rounding.
      const d = this.dim;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < i; j++) {
          const s = 0.5 * (out[i * d + j]! + out[j * d + i]!);
          out[i * d + j] = s;
          out[j * d + i] = s;
        }
    }
    return out;
  }
}
