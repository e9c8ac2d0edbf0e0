import type { CompiledLoop, PreparedLoop, Writable } from "./codegen.js";

/**
 * Splits a fused loop over its outermost dimension across worker threads. The pool is
 * installed by a runtime-specific entry point (`@scribe/core/node` in Node); without one,
 * for small kernels, or when buffers are not shared memory, the loop runs on this thread.
 */
export interface LoopPool {
  readonly threads: number;
  /** Run over [0, n) split across threads; returns false when it cannot (e.g. memory not shared). */
  run(
    prepared: PreparedLoop,
    loop: CompiledLoop,
    outs: readonly Writable[],
    inputs: readonly ArrayLike<number>[],
  ): boolean;
}

let pool: LoopPool | null = null;

/** Minimum elements in the iteration space before a loop is split across threads. */
export const PARALLEL_MIN_ELEMENTS = 1 << 17;
/**
 * Loops with an op costing this much per element or more (a quadrature per element, say) are
 * split once elements × that cost reaches PARALLEL_MIN_ELEMENTS × HEAVY_OP_COST, so tens of
 * thousands of elements already share the threads.
 */
const HEAVY_OP_COST = 256;

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
  const big =
    total >= PARALLEL_MIN_ELEMENTS ||
    (prepared.maxOpCost >= HEAVY_OP_COST &&
      total * prepared.maxOpCost >= PARALLEL_MIN_ELEMENTS * HEAVY_OP_COST);
  if (pool && big && n >= pool.threads && pool.run(prepared, loop, outs, inputs)) return;
  loop(outs, inputs, prepared.consts, prepared.dims, prepared.strides, prepared.offsets, 0, n);
}
