import type { CompiledLoop, PreparedLoop, Writable } from "./codegen.js";

/**
 * Splits a fused loop over its outermost dimension across worker threads. The pool is
 * installed by a runtime-specific entry point (`@scribe/core/node` in Node); without one,
 * for small kernels, or when buffers are not shared memory, the loop runs on this thread.
 */
export interface LoopPool {
  readonly threads: number;
  /** Run over [0, n) split across threads; returns false when it cannot (e.g. memory not shared). */
  run(prepared: PreparedLoop, loop: CompiledLoop, outs: readonly Writable[], inputs: readonly ArrayLike<number>[]): boolean;
}

let pool: LoopPool | null = null;

/** Minimum elements in the iteration space before a loop is split across threads. */
export const PARALLEL_MIN_ELEMENTS = 1 << 17;

export function installLoopPool(p: LoopPool | null): void {
  pool = p;
}

export function loopPool(): LoopPool | null {
  return pool;
}

export function runParallel(
  prepared: PreparedLoop,
  loop: CompiledLoop,
  outs: readonly Writable[],
  inputs: readonly ArrayLike<number>[],
): void {
  let total = 1;
  for (const d of prepared.dims) total *= d;
  const n = prepared.dims[0]!;
  if (pool && total >= PARALLEL_MIN_ELEMENTS && n >= pool.threads && pool.run(prepared, loop, outs, inputs)) return;
  loop(outs, inputs, prepared.consts, prepared.dims, prepared.strides, prepared.offsets, 0, n);
}
