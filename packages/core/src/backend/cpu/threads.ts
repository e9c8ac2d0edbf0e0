import type { ReduceKind } from "../backend.js";
import type { CompiledLoop, PreparedLoop } from "./codegen.js";

/**
 * Splits a fused loop over the outermost dimension across worker threads. The pool is
 * installed by a runtime-specific entry point (`@scribe/core/node` in Node); without one,
 * or for small kernels, the loop runs on the calling thread.
 */
export interface LoopPool {
  readonly threads: number;
  /** Run the loop over [0, n) split across threads; returns false when it cannot (e.g. memory not shared). */
  run(prepared: PreparedLoop, out: ArrayLike<number>, inputs: readonly ArrayLike<number>[], n: number, reduce: ReduceKind | null): boolean;
}

let pool: LoopPool | null = null;

/** Minimum work (elements × cost) before a loop is split across threads. */
export const PARALLEL_MIN_ELEMENTS = 1 << 18;

export function installLoopPool(p: LoopPool | null): void {
  pool = p;
}

export function loopPool(): LoopPool | null {
  return pool;
}

export function runParallel(
  prepared: PreparedLoop,
  loop: CompiledLoop,
  out: ArrayLike<number> & { [i: number]: number },
  inputs: readonly ArrayLike<number>[],
  n: number,
  reduce: ReduceKind | null,
): void {
  let total = 1;
  for (const d of prepared.dims) total *= d;
  if (pool && total >= PARALLEL_MIN_ELEMENTS && n >= pool.threads && pool.run(prepared, out, inputs, n, reduce)) return;
  loop(out, inputs, prepared.consts, prepared.dims, prepared.strides, prepared.offsets, 0, n);
}
