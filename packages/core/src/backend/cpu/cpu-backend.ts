import type { Key } from "../../random/key.js";
import {
  allocSharedStorage,
  allocStorage,
  type DType,
  dtypeOfArray,
  type TypedArray,
} from "../../tensor/dtype.js";
import { contiguousStrides, type Shape, sizeOf } from "../../tensor/shape.js";
import type { Backend, BackendBuffer, FusedKernel, SamplerKind, SamplerParam } from "../backend.js";
import { prepareLoop, REDUCE_INIT } from "./codegen.js";
import { choleskyCpu, sampleCpu, triangularSolveCpu } from "./cpu-extra.js";
import { matmulCpu } from "./matmul-cpu.js";
import { runParallel } from "./threads.js";

/** A CPU buffer is a typed array; the counter tracks what scopes and dispose() have not freed. */
export interface CpuBuffer extends BackendBuffer {
  data: TypedArray;
}

let nextBufferId = 1;

/** At most this much freed shared memory is kept for reuse. */
const SHARED_POOL_BYTES = 1 << 30;

function asCpu(b: BackendBuffer): CpuBuffer {
  return b as CpuBuffer;
}

/** The CPU backend: generated loops over typed arrays, float64 accumulation in reductions. */
export class CpuBackend implements Backend {
  readonly name = "cpu" as const;
  readonly supportsFloat64 = true;
  #live = 0;
  /** Arrays at least this long live in shared memory, so worker threads can work on them. */
  sharedMinElements = Infinity;

  upload(data: TypedArray): BackendBuffer {
    if (data.length >= this.sharedMinElements && !(data.buffer instanceof SharedArrayBuffer)) {
      const shared = allocSharedStorage(dtypeOfArray(data), data.length);
      shared.set(data);
      data = shared;
    }
    this.#live++;
    const buf: CpuBuffer = {
      id: nextBufferId++,
      dtype: dtypeOfArray(data),
      size: data.length,
      refs: 1,
      data,
    };
    return buf;
  }

  alloc(dtype: DType, size: number): BackendBuffer {
    if (size < this.sharedMinElements) return this.upload(allocStorage(dtype, size));
    // Shared memory is expensive to map; reuse a freed block of the same size (zeroed, as
    // fresh storage would be).
    const reused = this.#sharedPool.get(`${dtype}:${size}`)?.pop();
    if (reused) {
      this.#pooledBytes -= reused.byteLength;
      reused.fill(0);
      return this.upload(reused);
    }
    return this.upload(allocSharedStorage(dtype, size));
  }

  /** Freed shared-memory blocks by dtype and size, for reuse by the next allocation. */
  readonly #sharedPool = new Map<string, TypedArray[]>();
  #pooledBytes = 0;

  free(buf: BackendBuffer): void {
    const b = asCpu(buf);
    if (b.data.length === 0 && b.size !== 0) return; // already freed
    this.#live--;
    if (
      b.data.buffer instanceof SharedArrayBuffer &&
      this.#pooledBytes + b.data.byteLength <= SHARED_POOL_BYTES
    ) {
      const k = `${b.dtype}:${b.data.length}`;
      const list = this.#sharedPool.get(k) ?? [];
      if (list.length < 4) {
        list.push(b.data);
        this.#sharedPool.set(k, list);
        this.#pooledBytes += b.data.byteLength;
      }
    }
    b.data = allocStorage(b.dtype, 0);
  }

  liveBuffers(): number {
    return this.#live;
  }

  read(buf: BackendBuffer): Promise<TypedArray> {
    return Promise.resolve(this.readSync(buf));
  }

  readSync(buf: BackendBuffer): TypedArray {
    return asCpu(buf).data;
  }

  runFused(kernels: readonly FusedKernel[], outs: readonly BackendBuffer[]): void {
    this.planFused(kernels, outs)();
  }

  /**
   * Prepare a fused pass once and return the function that runs it over the same buffers:
   * `jit` replays these plans without rebuilding expressions or looking up kernels.
   */
  planFused(kernels: readonly FusedKernel[], outs: readonly BackendBuffer[]): () => void {
    const { loop, prepared } = prepareLoop(kernels);
    const inputs = prepared.leaves.map((l) => {
      const b = l.tensor._buf;
      if (!b) throw new Error("internal: fused kernel leaf is not realized");
      const cb = asCpu(b);
      // Uploaded before threads were enabled: move it into shared memory once, so worker
      // threads can read it instead of this kernel silently running on one thread.
      if (cb.data.length >= this.sharedMinElements && !(cb.data.buffer instanceof SharedArrayBuffer)) {
        const shared = allocSharedStorage(cb.dtype, cb.data.length);
        shared.set(cb.data);
        cb.data = shared;
      }
      return cb.data;
    });
    const outArrays = outs.map((o) => asCpu(o).data);
    // Reductions accumulate in float64 whatever the output dtype.
    const targets = prepared.reduces.map((r, j) =>
      r ? new Float64Array(prepared.outSizes[j]!) : outArrays[j]!,
    );
    return () => {
      prepared.reduces.forEach((r, j) => {
        if (r) (targets[j] as Float64Array).fill(REDUCE_INIT[r]);
      });
      runParallel(prepared, loop, targets, inputs);
      prepared.reduces.forEach((r, j) => {
        if (r) outArrays[j]!.set(targets[j]!);
      });
    };
  }

  argReduce(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    kind: "argmax" | "argmin",
    out: BackendBuffer,
  ): void {
    const x = asCpu(input).data;
    const o = asCpu(out).data;
    const n = shape[axis]!;
    const inner = sizeOf(shape.slice(axis + 1));
    const outer = sizeOf(shape.slice(0, axis));
    const better = kind === "argmax" ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
    for (let i = 0; i < outer; i++)
      for (let j = 0; j < inner; j++) {
        const base = i * n * inner + j;
        let bi = 0;
        let bv = x[base]!;
        if (!Number.isNaN(bv))
          for (let k = 1; k < n; k++) {
            const v = x[base + k * inner]!;
            if (Number.isNaN(v)) {
              bi = k; // NaN wins, as in NumPy
              break;
            }
            if (better(v, bv)) {
              bv = v;
              bi = k;
            }
          }
        o[i * inner + j] = bi;
      }
  }

  cumulative(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    kind: "cumsum" | "cumprod",
    reverse: boolean,
    out: BackendBuffer,
  ): void {
    const x = asCpu(input).data;
    const o = asCpu(out).data;
    const n = shape[axis]!;
    const inner = sizeOf(shape.slice(axis + 1));
    const outer = sizeOf(shape.slice(0, axis));
    const prod = kind === "cumprod";
    for (let i = 0; i < outer; i++)
      for (let j = 0; j < inner; j++) {
        const base = i * n * inner + j;
        let acc = prod ? 1 : 0;
        for (let t = 0; t < n; t++) {
          const k = reverse ? n - 1 - t : t;
          const v = x[base + k * inner]!;
          acc = prod ? acc * v : acc + v;
          o[base + k * inner] = acc;
        }
      }
  }

  gather(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    indices: BackendBuffer,
    indexCount: number,
    out: BackendBuffer,
  ): void {
    const x = asCpu(input).data;
    const idx = asCpu(indices).data;
    const o = asCpu(out).data;
    const n = shape[axis]!;
    const inner = sizeOf(shape.slice(axis + 1));
    const outer = sizeOf(shape.slice(0, axis));
    for (let i = 0; i < outer; i++)
      for (let t = 0; t < indexCount; t++) {
        let k = idx[t]!;
        if (k < 0) k += n;
        if (k < 0 || k >= n)
          throw new RangeError(`gather: index ${idx[t]} is out of range for axis ${axis} of size ${n}`);
        const src = (i * n + k) * inner;
        const dst = (i * indexCount + t) * inner;
        // Rows (a minibatch of cells) are block copies; short runs stay a loop.
        if (inner >= 32) o.set(x.subarray(src, src + inner), dst);
        else for (let j = 0; j < inner; j++) o[dst + j] = x[src + j]!;
      }
  }

  scatterAdd(
    updates: BackendBuffer,
    updShape: Shape,
    axis: number,
    indices: BackendBuffer,
    outShape: Shape,
    out: BackendBuffer,
  ): void {
    const u = asCpu(updates).data;
    const idx = asCpu(indices).data;
    const o = asCpu(out).data;
    const n = outShape[axis]!;
    const m = updShape[axis]!;
    const inner = sizeOf(outShape.slice(axis + 1));
    const outer = sizeOf(outShape.slice(0, axis));
    for (let i = 0; i < outer; i++)
      for (let t = 0; t < m; t++) {
        let k = idx[t]!;
        if (k < 0) k += n;
        if (k < 0 || k >= n)
          throw new RangeError(`scatterAdd: index ${idx[t]} is out of range for axis ${axis} of size ${n}`);
        const dst = (i * n + k) * inner;
        const src = (i * m + t) * inner;
        for (let j = 0; j < inner; j++) o[dst + j] = o[dst + j]! + u[src + j]!;
      }
  }

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
    transA = false,
    transB = false,
  ): void {
    matmulCpu(
      asCpu(a).data,
      asCpu(b).data,
      asCpu(out).data,
      batch,
      m,
      k,
      n,
      aBatchStride,
      bBatchStride,
      transA,
      transB,
    );
  }

  cholesky(input: BackendBuffer, shape: Shape, n: number, batch: number, out: BackendBuffer): void {
    choleskyCpu(asCpu(input).data, shape, n, batch, asCpu(out).data);
  }

  triangularSolve(
    a: BackendBuffer,
    b: BackendBuffer,
    batch: number,
    n: number,
    m: number,
    lower: boolean,
    transposeA: boolean,
    out: BackendBuffer,
  ): void {
    triangularSolveCpu(asCpu(a).data, asCpu(b).data, batch, n, m, lower, transposeA, asCpu(out).data);
  }

  sample(
    kind: SamplerKind,
    k: Key,
    n: number,
    params: readonly SamplerParam[],
    out: BackendBuffer,
    categories?: number,
  ): void {
    const p = params.map((x) => (typeof x === "number" ? x : asCpu(x).data));
    sampleCpu(kind, k, n, p, asCpu(out).data, categories);
  }
}

export { contiguousStrides };
