import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type CompiledLoop, type PreparedLoop, REDUCE_INIT, type Writable } from "../backend/cpu/codegen.js";
import type { CpuBackend } from "../backend/cpu/cpu-backend.js";
import { installLoopPool, type LoopPool } from "../backend/cpu/threads.js";
import { cpuBackend } from "../backend/registry.js";
import type { TypedArray } from "../tensor/dtype.js";
import type { LoopJob } from "./loop-worker.js";

/** Arrays at least this long are allocated in shared memory once threads are on. */
const SHARED_MIN_ELEMENTS = 1 << 15;

function isShared(a: ArrayLike<number>): boolean {
  return ArrayBuffer.isView(a) && a.buffer instanceof SharedArrayBuffer;
}

function toShared(a: TypedArray): TypedArray {
  const Ctor = a.constructor as new (b: SharedArrayBuffer) => TypedArray;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

function spawn(): Worker {
  const url = new URL("./loop-worker.js", import.meta.url);
  const tsUrl = new URL("./loop-worker.ts", import.meta.url);
  // In development the sources are TypeScript run through tsx: register it in the worker.
  if (import.meta.url.endsWith(".ts")) {
    const code = `import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(tsUrl.href)}); });`;
    return new Worker(code, { eval: true });
  }
  return new Worker(url);
}

class NodeLoopPool implements LoopPool {
  readonly threads: number;
  readonly #workers: Worker[];

  constructor(threads: number) {
    this.threads = threads;
    this.#workers = Array.from({ length: threads - 1 }, spawn);
    // Idle workers must not keep the process alive.
    for (const w of this.#workers) w.unref();
  }

  run(
    prepared: PreparedLoop,
    loop: CompiledLoop,
    outs: readonly Writable[],
    inputs: readonly ArrayLike<number>[],
  ): boolean {
    // Small inputs (broadcast parameters) are copied into shared memory; large ones must be shared.
    if (inputs.some((a) => !isShared(a) && a.length >= SHARED_MIN_ELEMENTS)) return false;
    inputs = inputs.map((a) => (isShared(a) ? a : toShared(a as TypedArray)));
    // Map outputs are written in place; small unshared ones (a heavy loop over few elements) go
    // through a shared copy, written back below.
    if (outs.some((o, j) => prepared.reduces[j] === null && !isShared(o) && o.length >= SHARED_MIN_ELEMENTS))
      return false;
    const staged: [Writable, TypedArray][] = [];
    outs = outs.map((o, j) => {
      if (prepared.reduces[j] !== null || isShared(o)) return o;
      const copy = toShared(o as TypedArray);
      staged.push([o, copy]);
      return copy as Writable;
    });
    try {
      return this.#runShared(prepared, loop, outs, inputs);
    } finally {
      for (const [o, copy] of staged) (o as TypedArray).set(copy);
    }
  }

  #runShared(
    prepared: PreparedLoop,
    loop: CompiledLoop,
    outs: readonly Writable[],
    inputs: readonly ArrayLike<number>[],
  ): boolean {
    const n = prepared.dims[0]!;
    const T = this.threads;
    parallelRuns++;
    const signal = new Int32Array(new SharedArrayBuffer(8));
    const bounds = Array.from({ length: T + 1 }, (_, t) => Math.round((t * n) / T));
    // Reductions: each worker accumulates into a private shared buffer, combined below.
    const privateAccs: Float64Array[][] = [];
    for (let t = 1; t < T; t++) {
      const targets = outs.map((o, j) => {
        const r = prepared.reduces[j];
        if (!r) return o;
        const acc = new Float64Array(new SharedArrayBuffer(8 * prepared.outSizes[j]!));
        acc.fill(REDUCE_INIT[r]);
        return acc;
      });
      privateAccs.push(targets as Float64Array[]);
      const job: LoopJob = {
        key: prepared.key,
        source: prepared.source,
        opModules: prepared.opModules,
        outs: targets,
        inputs: inputs as ArrayLike<number>[],
        consts: prepared.consts,
        dims: prepared.dims,
        strides: prepared.strides,
        offsets: prepared.offsets,
        start: bounds[t]!,
        end: bounds[t + 1]!,
        signal,
      };
      this.#workers[t - 1]!.postMessage(job);
    }
    const runLocal = (start: number, end: number) =>
      loop(outs, inputs, prepared.consts, prepared.dims, prepared.strides, prepared.offsets, start, end);
    runLocal(bounds[0]!, bounds[1]!);
    let done = Atomics.load(signal, 0);
    while (done < T - 1) {
      Atomics.wait(signal, 0, done, 1000);
      done = Atomics.load(signal, 0);
    }
    if (Atomics.load(signal, 1) !== 0) {
      // A worker failed: rerun everything here so the error surfaces with its message.
      for (let t = 1; t < T; t++) runLocal(bounds[t]!, bounds[t + 1]!);
      return true;
    }
    prepared.reduces.forEach((r, j) => {
      if (!r) return;
      const out = outs[j]!;
      for (const accs of privateAccs) {
        const acc = accs[j]!;
        for (let i = 0; i < acc.length; i++) {
          const a = out[i]!;
          const v = acc[i]!;
          out[i] =
            r === "sum"
              ? a + v
              : r === "prod"
                ? a * v
                : r === "max"
                  ? v > a || Number.isNaN(v)
                    ? v
                    : a
                  : v < a || Number.isNaN(v)
                    ? v
                    : a;
        }
      }
    });
    return true;
  }

  terminate(): void {
    for (const w of this.#workers) void w.terminate();
  }
}

let active: NodeLoopPool | null = null;
let parallelRuns = 0;

/** How many loops have been split across threads since the process started. */
export function parallelLoopCount(): number {
  return parallelRuns;
}

/**
 * Split large CPU kernels across `threads` threads (this one included) using worker_threads
 * over shared memory. Results are identical to one thread up to float64 summation order.
 */
export function enableThreads(threads = availableParallelism()): void {
  disableThreads();
  if (threads <= 1) return;
  active = new NodeLoopPool(threads);
  (cpuBackend() as CpuBackend).sharedMinElements = SHARED_MIN_ELEMENTS;
  installLoopPool(active);
}

/** Back to one thread. */
export function disableThreads(): void {
  if (active) active.terminate();
  active = null;
  installLoopPool(null);
  (cpuBackend() as CpuBackend).sharedMinElements = Infinity;
}
