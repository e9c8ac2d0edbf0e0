import { parentPort } from "node:worker_threads";
import { type CompiledLoop, compileLoop, type LoopLibrary, loopLibrary } from "../backend/cpu/codegen.js";
import { lookupOp, type ScalarOp } from "../ops/define-op.js";

/**
 * A worker of the CPU loop pool: compiles generated loop sources (cached by key) and runs
 * the range of the outermost dimension it is given over shared memory, then signals.
 */
export interface LoopJob {
  readonly key: string;
  readonly source: string;
  /** [op name, defining module URL] of each op the loop calls. */
  readonly opModules: readonly (readonly [string, string])[];
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

/** The op functions a loop calls: each defining module is imported here once (it registers its ops). */
async function library(opModules: LoopJob["opModules"]): Promise<LoopLibrary> {
  const ops: ScalarOp[] = [];
  for (const [name, module] of opModules) {
    if (!lookupOp(name)) await import(module);
    const op = lookupOp(name);
    if (!op) throw new Error(`op '${name}' is not defined by ${module}`);
    ops.push(op);
  }
  return loopLibrary(ops);
}

parentPort?.on("message", async (job: LoopJob) => {
  try {
    let fn = compiled.get(job.key);
    if (!fn) {
      fn = compileLoop(job.source, await library(job.opModules));
      compiled.set(job.key, fn);
    }
    fn(job.outs as never, job.inputs, job.consts, job.dims, job.strides, job.offsets, job.start, job.end);
  } catch {
    Atomics.store(job.signal, 1, 1);
  }
  Atomics.add(job.signal, 0, 1);
  Atomics.notify(job.signal, 0);
});
