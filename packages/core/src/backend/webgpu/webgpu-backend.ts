/// <reference types="@webgpu/types" />
import type { Expr, LeafExpr } from "../../expr/expr.js";
import type { Key } from "../../random/key.js";
import type { DType, TypedArray } from "../../tensor/dtype.js";
import { contiguousStrides, type Shape, sizeOf } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { Backend, BackendBuffer, FusedKernel, SamplerKind, SamplerParam } from "../backend.js";
import { BufferPool } from "./buffer-pool.js";
import type { GpuContext } from "./device.js";
import {
  argReducePlan,
  choleskyPlan,
  cumulativePlan,
  gatherPlan,
  matmulPlan,
  scatterAddPlan,
  triangularSolvePlan,
} from "./kernels.js";
import { PipelineCache } from "./pipeline-cache.js";
import { GPU_SAMPLERS, randomBitsPlan, samplePlan } from "./random-kernels.js";
import { planFused, reductionSplit, type ShaderPlan } from "./wgsl-codegen.js";

/** A WebGPU buffer: every dtype is stored in 4-byte words (bool as u32 0/1). */
interface GpuBuffer extends BackendBuffer {
  gpu: GPUBuffer | null;
}

// GPUBufferUsage flags (numeric, so no global is needed at import time).
const STORAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const UNIFORM = 0x40 | 0x8; // UNIFORM | COPY_DST
const MAP_READ_DST = 0x1 | 0x8; // MAP_READ | COPY_DST
/** Passes recorded before the encoder is submitted without waiting for a read. */
const MAX_PENDING_PASSES = 128;
/** Outputs per fused shader (workgroup memory and bindings). */
const MAX_OUTPUTS = 8;

let nextId = 1;

function gpuOf(b: BackendBuffer): GPUBuffer {
  const g = (b as GpuBuffer).gpu;
  if (!g) throw new Error("internal: WebGPU buffer used after it was freed");
  return g;
}

/** The view identity of a leaf (buffer and strides), as the codegen deduplicates them. */
function leafKey(l: LeafExpr): string {
  return `${l.tensor._buf?.id}:${l.offset}:${l.shape.join(",")}:${l.strides.join(",")}`;
}

function leafKeys(e: Expr, out: Set<string>): Set<string> {
  if (e.kind === "leaf") out.add(leafKey(e));
  else if (e.kind === "call") for (const a of e.args) leafKeys(a, out);
  return out;
}

/** A contiguous expression leaf reading `buf` as `shape` (for the backend's own temporaries). */
function bufferLeaf(buf: BackendBuffer, shape: Shape): LeafExpr {
  return {
    kind: "leaf",
    tensor: { _buf: buf } as unknown as Tensor,
    shape,
    strides: contiguousStrides(shape),
    offset: 0,
    dtype: buf.dtype,
  };
}

/**
 * The WebGPU backend: float32 / int32 / bool tensors in pooled GPU buffers, fused WGSL
 * shaders generated from the same expression trees as the cpu loops, and work recorded
 * in order into one command encoder that is submitted when a value is read.
 */
export class WebGpuBackend implements Backend {
  readonly name = "webgpu" as const;
  readonly supportsFloat64 = false;
  readonly ctx: GpuContext;
  readonly pipelines: PipelineCache;
  readonly #storage: BufferPool;
  readonly #uniforms: BufferPool;
  #encoder: GPUCommandEncoder | null = null;
  #pending = 0;
  #flushing: Promise<void> | null = null;
  /** Work issued so far (compute passes, queue submissions, readbacks): for benchmarks and tests. */
  readonly counters = { dispatches: 0, submits: 0, reads: 0 };

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
    this.pipelines = new PipelineCache(ctx.device);
    this.#storage = new BufferPool(ctx.device, STORAGE);
    this.#uniforms = new BufferPool(ctx.device, UNIFORM);
  }

  get device(): GPUDevice {
    return this.ctx.device;
  }

  /** GPU buffers the storage pool has created (flat in a steady loop when reuse works). */
  get createdBuffers(): number {
    return this.#storage.created;
  }

  #enc(): GPUCommandEncoder {
    if (!this.#encoder) this.#encoder = this.device.createCommandEncoder();
    return this.#encoder;
  }

  /** Submit recorded work; freed buffers become reusable afterwards. */
  flush(): void {
    if (this.#encoder) {
      this.device.queue.submit([this.#encoder.finish()]);
      this.counters.submits++;
      this.#encoder = null;
      this.#pending = 0;
    }
    this.#storage.recycleParked();
    this.#uniforms.recycleParked();
  }

  /**
   * Submit at the end of the current task: reads started together (`Promise.all` over several
   * `t.data()`) share one submission, and their maps overlap.
   */
  #flushSoon(): Promise<void> {
    this.#flushing ??= Promise.resolve().then(() => {
      this.#flushing = null;
      this.flush();
    });
    return this.#flushing;
  }

  #wrap(dtype: DType, size: number, gpu: GPUBuffer): GpuBuffer {
    return { id: nextId++, dtype, size, refs: 1, gpu };
  }

  upload(data: TypedArray): BackendBuffer {
    const dtype: DType =
      data instanceof Float32Array
        ? "float32"
        : data instanceof Int32Array
          ? "int32"
          : data instanceof Uint8Array
            ? "bool"
            : "float64";
    if (dtype === "float64")
      throw new Error("the webgpu backend has no float64: use float32 there, or the cpu backend for float64");
    const gpu = this.#storage.acquire(Math.max(4, data.length * 4));
    const words = dtype === "bool" ? Uint32Array.from(data) : data;
    if (data.length > 0)
      this.device.queue.writeBuffer(gpu, 0, words.buffer, words.byteOffset, data.length * 4);
    return this.#wrap(dtype, data.length, gpu);
  }

  alloc(dtype: DType, size: number): BackendBuffer {
    if (dtype === "float64")
      throw new Error("the webgpu backend has no float64: use float32 there, or the cpu backend for float64");
    const gpu = this.#storage.acquire(Math.max(4, size * 4));
    this.#enc().clearBuffer(gpu, 0, Math.ceil(Math.max(4, size * 4) / 4) * 4);
    return this.#wrap(dtype, size, gpu);
  }

  free(buf: BackendBuffer): void {
    const b = buf as GpuBuffer;
    if (!b.gpu) return;
    this.#storage.release(b.gpu);
    b.gpu = null;
  }

  liveBuffers(): number {
    return this.#storage.live;
  }

  async read(buf: BackendBuffer): Promise<TypedArray> {
    const bytes = Math.max(4, buf.size * 4);
    this.counters.reads++;
    const staging = this.device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: MAP_READ_DST });
    this.#enc().copyBufferToBuffer(gpuOf(buf), 0, staging, 0, staging.size);
    await this.#flushSoon();
    await staging.mapAsync(1 /* GPUMapMode.READ */);
    const raw = staging.getMappedRange().slice(0, buf.size * 4);
    staging.unmap();
    staging.destroy();
    if (buf.dtype === "int32") return new Int32Array(raw);
    if (buf.dtype === "bool") return Uint8Array.from(new Uint32Array(raw));
    return new Float32Array(raw);
  }

  /** Encode one compute pass for `plan`, whose write bindings are `outs`. */
  dispatch(plan: ShaderPlan, outs: readonly BackendBuffer[]): void {
    if (plan.workgroups <= 0) return;
    this.counters.dispatches++;
    const pipeline = this.pipelines.get(plan.source, plan.kinds);
    const ub = this.#uniforms.acquire(plan.meta.byteLength);
    this.device.queue.writeBuffer(ub, 0, plan.meta.buffer, plan.meta.byteOffset, plan.meta.byteLength);
    const buffers = [ub, ...plan.inputs.map(gpuOf), ...outs.map(gpuOf)];
    const group = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const pass = this.#enc().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    const maxX = this.ctx.maxWorkgroupsPerDim;
    const x = Math.min(plan.workgroups, maxX);
    pass.dispatchWorkgroups(x, Math.ceil(plan.workgroups / x));
    pass.end();
    this.#uniforms.release(ub);
    if (++this.#pending >= MAX_PENDING_PASSES) this.flush();
  }

  runFused(kernels: readonly FusedKernel[], outs: readonly BackendBuffer[]): void {
    // One shader per reduction signature (maps together; reductions over the same axes together).
    const parts = new Map<string, number[]>();
    kernels.forEach((k, j) => {
      const sig = k.reduce ? `r${k.reduce.axes.join(",")}` : "map";
      const list = parts.get(sig) ?? [];
      list.push(j);
      parts.set(sig, list);
    });
    const limit = this.ctx.maxStorageBuffers;
    for (const idx of parts.values()) {
      let chunk: number[] = [];
      let keys = new Set<string>();
      const run = () => {
        if (chunk.length)
          this.#runChunk(
            chunk.map((j) => kernels[j]!),
            chunk.map((j) => outs[j]!),
          );
        chunk = [];
        keys = new Set();
      };
      for (const j of idx) {
        const mine = leafKeys(kernels[j]!.expr, new Set());
        const merged = new Set([...keys, ...mine]);
        if (chunk.length && (merged.size + chunk.length + 1 > limit || chunk.length >= MAX_OUTPUTS)) run();
        chunk.push(j);
        for (const k of mine) keys.add(k);
      }
      run();
    }
  }

  #runChunk(kernels: FusedKernel[], outs: BackendBuffer[]): void {
    const limit = this.ctx.maxStorageBuffers;
    const temps: BackendBuffer[] = [];
    if (kernels.length === 1) {
      // A single expression over too many buffers: compute subtrees into temporaries first.
      let e = kernels[0]!.expr;
      while (leafKeys(e, new Set()).size + 1 > limit) e = this.#spill(e, limit - 1, temps);
      kernels = [{ ...kernels[0]!, expr: e }];
    }
    const split = reductionSplit(kernels);
    if (split === 1) this.dispatch(planFused(kernels, this.ctx.maxWorkgroupsPerDim), outs);
    else this.#splitReduce(kernels, outs, split);
    for (const t of temps) this.free(t);
  }

  /** Reduce in two passes: `split` float32 partials per output, then those partials per output. */
  #splitReduce(kernels: FusedKernel[], outs: BackendBuffer[], split: number): void {
    const { shape } = kernels[0]!.expr;
    const axes = kernels[0]!.reduce!.axes;
    const nOuter = shape.reduce((n, d, i) => (axes.includes(i) ? n : n * d), 1);
    const partials = kernels.map(() =>
      this.#wrap("float32", nOuter * split, this.#storage.acquire(nOuter * split * 4)),
    );
    const first = kernels.map((k) => ({ ...k, outDtype: "float32" as const }));
    this.dispatch(planFused(first, this.ctx.maxWorkgroupsPerDim, split), partials);
    const second = kernels.map(
      (k, j): FusedKernel => ({
        expr: bufferLeaf(partials[j]!, [nOuter, split]),
        outDtype: k.outDtype,
        reduce: { kind: k.reduce!.kind, axes: [1] },
      }),
    );
    this.dispatch(planFused(second, this.ctx.maxWorkgroupsPerDim), outs);
    for (const p of partials) this.free(p);
  }

  /** Realize the call subtree of `e` with the most distinct buffers (at most `max`) into a temporary. */
  #spill(e: Expr, max: number, temps: BackendBuffer[]): Expr {
    let best = null as Expr | null;
    let bestCount = 1;
    const visit = (x: Expr) => {
      if (x.kind !== "call") return;
      const c = leafKeys(x, new Set()).size;
      if (x !== e && c <= max && c > bestCount) {
        best = x;
        bestCount = c;
      }
      for (const a of x.args) visit(a);
    };
    visit(e);
    if (!best) throw new Error(`webgpu: an expression reads more than ${max} buffers and cannot be split`);
    const sub: Expr = best as Expr;
    const tmp = this.alloc(sub.dtype, sizeOf(sub.shape));
    this.dispatch(planFused([{ expr: sub, outDtype: sub.dtype }], this.ctx.maxWorkgroupsPerDim), [tmp]);
    temps.push(tmp);
    const leaf = bufferLeaf(tmp, sub.shape);
    const replace = (x: Expr): Expr => {
      if (x === sub) return leaf;
      if (x.kind !== "call") return x;
      return { ...x, args: x.args.map(replace) };
    };
    return replace(e);
  }

  argReduce(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    kind: "argmax" | "argmin",
    out: BackendBuffer,
  ): void {
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    this.dispatch(argReducePlan(input, outer, shape[axis]!, inner, kind), [out]);
  }

  cumulative(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    kind: "cumsum" | "cumprod",
    reverse: boolean,
    out: BackendBuffer,
  ): void {
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    this.dispatch(cumulativePlan(input, out.dtype, outer, shape[axis]!, inner, kind === "cumprod", reverse), [
      out,
    ]);
  }

  gather(
    input: BackendBuffer,
    shape: Shape,
    axis: number,
    indices: BackendBuffer,
    indexCount: number,
    out: BackendBuffer,
  ): void {
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    this.dispatch(gatherPlan(input, indices, outer, shape[axis]!, inner, indexCount), [out]);
  }

  scatterAdd(
    updates: BackendBuffer,
    updShape: Shape,
    axis: number,
    indices: BackendBuffer,
    outShape: Shape,
    out: BackendBuffer,
  ): void {
    const outer = sizeOf(outShape.slice(0, axis));
    const inner = sizeOf(outShape.slice(axis + 1));
    this.dispatch(scatterAddPlan(updates, indices, outer, outShape[axis]!, inner, updShape[axis]!), [out]);
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
    this.dispatch(matmulPlan(a, b, out.dtype, batch, m, k, n, aBatchStride, bBatchStride, transA, transB), [
      out,
    ]);
  }

  cholesky(input: BackendBuffer, _shape: Shape, n: number, batch: number, out: BackendBuffer): void {
    this.dispatch(choleskyPlan(input, n, batch), [out]);
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
    this.dispatch(triangularSolvePlan(a, b, batch, n, m, lower, transposeA), [out]);
  }

  sample(
    kind: SamplerKind,
    k: Key,
    n: number,
    params: readonly SamplerParam[],
    out: BackendBuffer,
    categories?: number,
  ): void {
    if (!GPU_SAMPLERS.includes(kind))
      throw new Error(
        `random.${kind} has no WebGPU kernel yet: sample on the cpu backend (withBackend(cpuBackend(), () => random.${kind}(...))) and move the result with 'await toBackend(t, "webgpu")'`,
      );
    this.dispatch(samplePlan(kind, k, n, params, out.dtype, categories), [out]);
  }

  /** The raw Threefry words (w0, w1 interleaved) of draw `draw` for elements 0..n−1 (tests). */
  async randomBits(k: Key, n: number, draw = 0): Promise<Uint32Array> {
    const buf = this.alloc("int32", 2 * n);
    this.dispatch(randomBitsPlan(k, n, draw), [buf]);
    const v = await this.read(buf);
    this.free(buf);
    return new Uint32Array(v.buffer, v.byteOffset, 2 * n);
  }
}
