import { parentPort } from "node:worker_threads";
import type { CompiledLoop } from "../backend/cpu/codegen.js";
import { scalarLib } from "../backend/cpu/scalar-lib.js";

/**
 * A worker of the CPU loop pool: compiles generated loop sources (cached by key) and runs
 * the range of the outermost dimension it is given over shared memory, then signals.
 */
export interface LoopJob {
  readonly key: string;
  readonly source: string;
  readonly outs: ArrayLike<number>[];
  readonly inputs: ArrayLike<number>[];
  readonly consts: readonly number[];
  readonly dims: readonly number[];
  readonly strides: readonly number[];
  readonly offsets: readonly number[];
  readonly start: number;
  readonly end: number;
  /** [finished count, failure flag] */
  readonly signal: Int32Array;
}

const compiled = new Map<string, CompiledLoop>();

parentPort?.on("message", (job: LoopJob) => {
  try {
    let fn = compiled.get(job.key);
    if (!fn) {
      fn = new Function("L", job.source)(scalarLib) as CompiledLoop;
      compiled.set(job.key, fn);
    }
    fn(job.outs as never, job.inputs, job.consts, job.dims, job.strides, job.offsets, job.start, job.end);
  } catch {
    Atomics.store(job.signal, 1, 1);
  }
  Atomics.add(job.signal, 0, 1);
  Atomics.notify(job.signal, 0);
});
