import type { BackendBuffer, FusedKernel } from "../backend/backend.js";
import { currentBackend } from "../backend/registry.js";
import type { Expr, LeafExpr } from "../expr/expr.js";
import { exprCost, exprNodes } from "../expr/expr.js";
import type { TypedArray } from "./dtype.js";
import { contiguousStrides, shapesEqual } from "./shape.js";
import { Tensor } from "./tensor.js";

/** Subtrees costlier than this are computed once into memory instead of being re-fused. */
export const INLINE_COST_LIMIT = 24;
/** Expressions larger than this are split so generated loops stay small enough to optimize. */
export const INLINE_NODE_LIMIT = 48;

/** Make every leaf of `e` readable: alive, and computed if it is a deferred reduction. */
export function checkLeaves(e: Expr, where: string): void {
  if (e.kind === "leaf") {
    e.tensor.assertAlive(where);
    if (e.tensor._reduction) realize(e.tensor);
  } else if (e.kind === "call") for (const a of e.args) checkLeaves(a, where);
}

/** Whether `e` reads a reduction that has not run yet (realizing `e` would force it). */
export function hasDeferredLeaf(e: Expr): boolean {
  if (e.kind === "leaf") return e.tensor._reduction !== null;
  if (e.kind === "call") for (const a of e.args) if (hasDeferredLeaf(a)) return true;
  return false;
}

/**
 * Reductions wait here until something needs one of them; then every pending reduction over
 * the same iteration shape runs in one pass (a backward pass's gradient sums share the
 * recomputation of their common subexpressions).
 */
const pendingReductions = new Set<Tensor>();

/**
 * How many reductions are queued (disposed ones not yet swept included): every `realize` walks
 * them, so code that creates reductions must consume or dispose them. For tests.
 * @internal
 */
export function pendingReductionCount(): number {
  return pendingReductions.size;
}

/**
 * Longest chain of deferred tensors allowed to wait on one another. Realizing a deferred
 * tensor realizes the deferred tensors it reads first, recursively, so an unbounded chain
 * (a long lazy loop such as `x = x.mul(0.5).add(x.mean().mul(0.5))`) would overflow the
 * stack; a tensor that would lie deeper is computed at once instead, which bounds the
 * recursion (and costs one early pass per `MAX_DEFERRED_DEPTH` links of such a chain).
 */
export const MAX_DEFERRED_DEPTH = 256;

/** 1 + the deepest deferred tensor `e` reads (0 if it reads none). */
function deferredDepthOf(e: Expr): number {
  if (e.kind === "leaf") return e.tensor._reduction ? e.tensor._deferredDepth : 0;
  if (e.kind !== "call") return 0;
  let d = 0;
  for (const a of e.args) d = Math.max(d, deferredDepthOf(a));
  return d;
}

/**
 * Queue a reduction; `t` must have been created with a null buffer and expression. Past
 * {@link MAX_DEFERRED_DEPTH} links of deferred tensors reading deferred tensors it is
 * computed now instead (see there).
 */
export function deferReduction(t: Tensor, kernel: FusedKernel): Tensor {
  t._reduction = kernel;
  pendingReductions.add(t);
  const depth = deferredDepthOf(kernel.expr) + 1;
  if (depth > MAX_DEFERRED_DEPTH) realize(t);
  else t._deferredDepth = depth;
  return t;
}

/** Pending reductions over `shape` on `t`'s backend that can run now (their inputs are ready). */
function readyReductions(t: Tensor, shape: readonly number[]): Tensor[] {
  const group: Tensor[] = [];
  for (const p of pendingReductions) {
    if (p._disposed || !p._reduction) {
      pendingReductions.delete(p);
      continue;
    }
    if (
      p.backend === t.backend &&
      shapesEqual(p._reduction.expr.shape, shape) &&
      !hasDeferredLeaf(p._reduction.expr)
    )
      group.push(p);
  }
  return group;
}

function flushReductions(t: Tensor): void {
  // Reductions this one reads come first (they may share its iteration shape).
  checkLeaves(t._reduction!.expr, "reduction");
  runWithReductions(t, readyReductions(t, t._reduction!.expr.shape), [], []);
}

/** One pass computing `maps` (already-allocated outputs) together with the reductions in `group`. */
function runWithReductions(t: Tensor, group: Tensor[], maps: FusedKernel[], mapOuts: BackendBuffer[]): void {
  for (const p of group) {
    pendingReductions.delete(p);
    checkLeaves(p._reduction!.expr, "reduction");
    p._buf = p.backend.alloc(p.dtype, p.size);
  }
  const kernels = [...maps];
  const outs = [...mapOuts];
  for (const p of group) {
    kernels.push(p._reduction!);
    outs.push(p._buf!);
  }
  t.backend.runFused(kernels, outs);
  for (const p of group) p._reduction = null;
}

/** Compute a lazy tensor's values into a buffer (once); returns its buffer. */
export function realize(t: Tensor): BackendBuffer {
  t.assertAlive("realize");
  if (t._buf) return t._buf;
  if (t._reduction) {
    flushReductions(t);
    return t._buf!;
  }
  const e = t._expr!;
  checkLeaves(e, "realize");
  const buf = t.backend.alloc(t.dtype, t.size);
  // Pending reductions over the same shape ride along: a backward pass often needs a
  // cotangent in memory and several sums of related expressions at the same time.
  if (t.size > 0) runWithReductions(t, readyReductions(t, e.shape), [{ expr: e, outDtype: t.dtype }], [buf]);
  t._buf = buf;
  t._expr = null;
  return buf;
}

/**
 * A leaf reading `t`'s contiguous buffer. A deferred reduction stays deferred: it is computed
 * (with every other pending reduction of its shape) when an expression reading it runs.
 */
export function leafOf(t: Tensor): LeafExpr {
  if (!t._reduction) realize(t);
  return {
    kind: "leaf",
    tensor: t,
    shape: t.shape,
    strides: contiguousStrides(t.shape),
    offset: 0,
    dtype: t.dtype,
  };
}

/**
 * The expression to use for `t` inside a new elementwise expression. A pending expression is
 * inlined (fused) into its first consumer; an expensive one that a second consumer asks for
 * is computed into memory instead, so no costly subexpression is evaluated more than twice.
 */
export function exprOf(t: Tensor, inlineAnyCost = false): Expr {
  t.assertAlive("op input");
  if (t._buf || t._reduction) return leafOf(t);
  const e = t._expr!;
  if (e.kind !== "call") return e;
  const cheap = exprCost(e) <= INLINE_COST_LIMIT;
  const small = exprNodes(e) <= INLINE_NODE_LIMIT;
  if (small && (cheap || inlineAnyCost || t._uses === 0)) {
    t._uses++;
    return e;
  }
  // Computing an expression over deferred reductions now would run them early, apart from
  // the reductions a backward pass is about to add: defer it too, so it joins their pass.
  if (hasDeferredLeaf(e)) {
    t._expr = null;
    deferReduction(t, { expr: e, outDtype: t.dtype });
  }
  return leafOf(t);
}

/** The expression of `t` for a kernel about to run now: every leaf it reads is computed. */
export function readyExprOf(t: Tensor): Expr {
  const e = exprOf(t, true);
  checkLeaves(e, "op input");
  return e;
}

/** A tensor holding a pending expression. */
export function fromExpr(e: Expr): Tensor {
  return new Tensor(currentBackend(), e.shape, e.dtype, null, e);
}

/**
 * What runs at every readback before the values are handed out: the pending deferred checks
 * (tensor/deferred-checks.ts installs these when the first check is registered).
 * @internal
 */
export const readbackHooks: { sync: (() => void) | null; async: (() => Promise<void>) | null } = {
  sync: null,
  async: null,
};

/** Synchronous readback (cpu backend only). Pending deferred checks are evaluated first. */
export function dataSync(t: Tensor): TypedArray {
  const buf = realize(t);
  if (!t.backend.readSync)
    throw new Error(`dataSync() is not available on the ${t.backend.name} backend: use 'await t.data()'`);
  readbackHooks.sync?.();
  return t.backend.readSync(buf);
}

/**
 * Read values back (the only await point of the library). Pending deferred checks are
 * evaluated alongside, and the first failing one is thrown instead of returning values.
 */
export async function data(t: Tensor): Promise<TypedArray> {
  // Realize `t` first: pending check reductions over its shape ride along in its pass.
  const buf = realize(t);
  const checks = readbackHooks.async?.();
  const values = t.backend.read(buf);
  if (checks) await Promise.all([checks, values]);
  return values;
}
