import type { Expr } from "../expr/expr.js";
import type { Key } from "../random/key.js";
import type { DType, TypedArray } from "../tensor/dtype.js";
import type { Shape } from "../tensor/shape.js";

/** A backend-resident buffer; the backend owns its memory and counts it as live until freed. */
export interface BackendBuffer {
  readonly id: number;
  readonly dtype: DType;
  readonly size: number;
  /** References from tensors sharing this buffer (reshape shares storage). */
  refs: number;
}

export type ReduceKind = "sum" | "prod" | "max" | "min";

/** One fused pass: evaluate `expr` over its shape, optionally reducing `axes` with `reduce`. */
export interface FusedKernel {
  readonly expr: Expr;
  readonly outDtype: DType;
  readonly reduce?: { readonly kind: ReduceKind; readonly axes: readonly number[] };
  /** Write a map's result into a strided region of the output (concat, pad) instead of all of it. */
  readonly outView?: OutView;
}

export interface OutView {
  readonly offset: number;
  readonly strides: readonly number[];
}

/**
 * What every backend provides. It is small and honest about asynchrony: work is enqueued in
 * order; `read` is the only await. The cpu backend also reads synchronously.
 */
export interface Backend {
  readonly name: "cpu" | "webgpu";
  readonly supportsFloat64: boolean;
  upload(data: TypedArray): BackendBuffer;
  alloc(dtype: DType, size: number): BackendBuffer;
  free(buf: BackendBuffer): void;
  read(buf: BackendBuffer): Promise<TypedArray>;
  readSync?(buf: BackendBuffer): TypedArray;
  /** Number of buffers allocated and not yet freed. */
  liveBuffers(): number;
  /** Run kernels sharing one iteration shape in one pass, writing `outs[i]` for `kernels[i]`. */
  runFused(kernels: readonly FusedKernel[], outs: readonly BackendBuffer[]): void;
  argReduce(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    kind: "argmax" | "argmin",
    out: BackendBuffer,
  ): void;
  cumulative(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    kind: "cumsum" | "cumprod",
    reverse: boolean,
    out: BackendBuffer,
  ): void;
  gather(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    indices: BackendBuffer,
    indexCount: number,
    out: BackendBuffer,
  ): void;
  scatterAdd(
    updates: BackendBuffer,
    updShape: Shape,
    axis: number,
    indices: BackendBuffer,
    outShape: Shape,
    out: BackendBuffer,
  ): void;
  /**
   * out[t] = op(a[t]) · op(b[t]) for `batch` row-major products (m × k times k × n); a batch
   * stride of 0 shares that operand. `transA`: each a[t] is stored k × m and read transposed
   * in place; `transB`: each b[t] is stored n × k (default false: stored m × k, k × n).
   */
  matmul(
    a: BackendBuffer,
    b: BackendBuffer,
    batch: number,
    m: number,
    k: number,
    n: number,
    aBatchStride: number,
    bBatchStride: number,
    out: BackendBuffer,
    transA?: boolean,
    transB?: boolean,
  ): void;
  /**
   * Lower Cholesky factors of `batch` contiguous n × n matrices. The cpu backend throws on a
   * matrix that is not positive definite (naming `shape`); WebGPU writes NaN there instead.
   */
  cholesky(input: BackendBuffer, shape: Shape, n: number, batch: number, out: BackendBuffer): void;
  /** Solve A X = B (or Aᵀ X = B) for `batch` triangular n × n `a` and n × m `b` (both contiguous). */
  triangularSolve(
    a: BackendBuffer,
    b: BackendBuffer,
    batch: number,
    n: number,
    m: number,
    lower: boolean,
    transposeA: boolean,
    out: BackendBuffer,
  ): void;
  /**
   * Draw `n` samples of `kind` under key `k` into `out` (element i from the counter stream
   * (m, i), see random/stream.ts). `params` are numbers or contiguous buffers of n values
   * (categorical: one buffer of n × `categories` logits).
   */
  sample(
    kind: SamplerKind,
    k: Key,
    n: number,
    params: readonly SamplerParam[],
    out: BackendBuffer,
    categories?: number,
  ): void;
}

/** The samplers backends implement (see ops/random.ts). */
export type SamplerKind =
  | "uniform"
  | "normal"
  | "gamma"
  | "poisson"
  | "binomial"
  | "bernoulli"
  | "categorical"
  | "truncatedNormal";

/** A sampler parameter: one number for every element, or a buffer with one value per element. */
export type SamplerParam = number | BackendBuffer;

/** Thrown when a backend cannot run an op for a dtype. */
export class UnsupportedOpError extends Error {
  constructor(op: string, dtype: DType, backend: string) {
    super(`op '${op}' does not support dtype ${dtype} on the ${backend} backend`);
    this.name = "UnsupportedOpError";
  }
}
