import * as rng from "../../random/index.js";
import type { Key } from "../../random/key.js";
import type { TypedArray } from "../../tensor/dtype.js";
import { formatShape, type Shape } from "../../tensor/shape.js";
import type { SamplerKind } from "../backend.js";

/**
 * CPU kernels for the linear-algebra and sampling methods of the Backend interface. They
 * compute exactly what ops/linalg.ts and ops/random.ts computed before these were backend
 * methods (float64 Cholesky, substitution through the output array, the typed-array samplers).
 */

/** Lower Cholesky factors of `batch` n × n matrices in `src`, in float64, written to `out`. */
export function choleskyCpu(src: TypedArray, shape: Shape, n: number, batch: number, out: TypedArray): void {
  const L = new Float64Array(n * n);
  for (let t = 0; t < batch; t++) {
    const o = t * n * n;
    L.fill(0);
    for (let j = 0; j < n; j++) {
      let d = src[o + j * n + j]!;
      for (let p = 0; p < j; p++) d -= L[j * n + p]! * L[j * n + p]!;
      if (!(d > 0))
        throw new Error(
          `cholesky: matrix ${t} of batch ${formatShape(shape)} is not positive definite (pivot ${j} is ${d})`,
        );
      const ljj = Math.sqrt(d);
      L[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let s = src[o + i * n + j]!;
        for (let p = 0; p < j; p++) s -= L[i * n + p]! * L[j * n + p]!;
        L[i * n + j] = s / ljj;
      }
    }
    for (let i = 0; i < n * n; i++) out[o + i] = L[i]!;
  }
}

/** Triangular solves by substitution, batched; intermediate values live in `out` (its dtype). */
export function triangularSolveCpu(
  A: TypedArray,
  B: TypedArray,
  batch: number,
  n: number,
  m: number,
  lower: boolean,
  trans: boolean,
  out: TypedArray,
): void {
  // Effective matrix: lower-triangular solve when (lower xor trans), else upper.
  const forward = lower !== trans;
  const at = (o: number, i: number, j: number) => (trans ? A[o + j * n + i]! : A[o + i * n + j]!);
  for (let t = 0; t < batch; t++) {
    const ao = t * n * n;
    const bo = t * n * m;
    for (let c = 0; c < m; c++)
      for (let s = 0; s < n; s++) {
        const i = forward ? s : n - 1 - s;
        let v = B[bo + i * m + c]!;
        for (let q = 0; q < s; q++) {
          const j = forward ? q : n - 1 - q;
          v -= at(ao, i, j) * out[bo + j * m + c]!;
        }
        out[bo + i * m + c] = v / at(ao, i, i);
      }
  }
}

/** Run the typed-array sampler `kind` and store its draws into `out`. */
export function sampleCpu(
  kind: SamplerKind,
  k: Key,
  n: number,
  p: readonly (number | TypedArray)[],
  out: TypedArray,
  categories?: number,
): void {
  let values: ArrayLike<number>;
  switch (kind) {
    case "uniform":
      values = rng.uniform(k, n, p[0], p[1]);
      break;
    case "normal":
      values = rng.normal(k, n);
      break;
    case "gamma":
      values = rng.gamma(k, n, p[0]!);
      break;
    case "poisson":
      values = rng.poisson(k, n, p[0]!);
      break;
    case "binomial":
      values = rng.binomial(k, n, p[0]!, p[1]!);
      break;
    case "bernoulli":
      values = rng.bernoulli(k, n, p[0]!);
      break;
    case "categorical":
      values = rng.categorical(k, n, p[0] as TypedArray, categories);
      break;
    case "truncatedNormal":
      values = rng.truncatedNormal(k, n, p[0]!, p[1]!);
      break;
  }
  out.set(values);
}
