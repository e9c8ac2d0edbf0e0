import type { Backend } from "../backend/backend.js";
import { withBackend } from "../backend/registry.js";
import type { Expr } from "../expr/expr.js";
import { scope } from "../memory/scope.js";
import { astype, logicalNot } from "../ops/elementwise.js";
import { stack } from "../ops/movement.js";
import { max } from "../ops/reduce.js";
import { handlerStack } from "../ppl/messenger.js";
import type { TypedArray } from "./dtype.js";
import { readbackHooks, realize } from "./realize.js";
import type { Shape } from "./shape.js";
import type { Tensor } from "./tensor.js";

/**
 * Deferred checks: value checks (argument constraints, NaN in a loss) that never read back on
 * their own. A check is a bool tensor `ok`, reduced on the device by one fused reduction
 * (`any(!ok)`, which joins the pass of the other pending reductions over the same shape), and a
 * function that writes the error message once the first failing index and the values are
 * known. Pending checks are evaluated at the next readback the program makes anyway
 * (`await t.data()`, and the cpu's `dataSync()` / `item()`), in registration order, so the
 * first error wins (ARCHITECTURE.md: model code never reads back; reading is the one `await`).
 *
 * The cpu defers too when asked to (`deferCheck`): a NaN check on a loss then costs nothing
 * but a few comparisons in the pass that computes the loss. Where an error should stop the
 * line that caused it, `checkOrDefer` evaluates at once when that is cheap and possible (see
 * there) and defers otherwise. Both paths format with the same function, so the messages are
 * identical on every backend.
 *
 * Checks registered while a model runs (a handler is active) are named by the sample site
 * that consumes them: `sample` calls {@link nameChecks}, and the message then starts with
 * `site 'x': `.
 */

/** What a failed check's formatter is told. */
export interface CheckFailure {
  /** Flat (row-major) index of the first false element of `ok`. */
  readonly index: number;
  /** The same index per axis of `ok`'s shape (empty for a scalar). */
  readonly position: readonly number[];
  /** `ok`'s shape. */
  readonly shape: Shape;
  /** The contents of the `values` tensors given with the check, read back because it failed. */
  readonly values: readonly TypedArray[];
}

/** Writes the message of a failed check. */
export type CheckFormatter = (failure: CheckFailure) => string;

interface PendingCheck {
  /** Registration number (1, 2, ...), for naming the checks of a site. */
  readonly serial: number;
  /** Whether a model was running (a handler active) when the check was registered. */
  readonly inModel: boolean;
  /** The sample site that consumed the distribution the check belongs to, once known. */
  site: string | null;
  readonly ok: Tensor;
  readonly values: readonly Tensor[];
  readonly format: CheckFormatter;
  /** 1 when some element of `ok` is false, else 0 (a deferred reduction until evaluated). */
  readonly flag: Tensor;
  /** Tensors kept from disposal until the check is evaluated (`ok`, `values` and what they read). */
  readonly pinned: readonly Tensor[];
}

const pending: PendingCheck[] = [];
let registered = 0;
/** Checks up to this serial number have been offered to a site name already. */
let namedUpTo = 0;
let inflight: Promise<void> | null = null;

/** Everything `t`'s values depend on that must stay alive until it is read: itself and its leaves. */
function collectPinned(t: Tensor, out: Set<Tensor>): void {
  if (out.has(t)) return;
  out.add(t);
  const e = t._expr ?? t._reduction?.expr ?? null;
  if (e) collectLeaves(e, out);
}

function collectLeaves(e: Expr, out: Set<Tensor>): void {
  if (e.kind === "leaf") collectPinned(e.tensor, out);
  else if (e.kind === "call") for (const a of e.args) collectLeaves(a, out);
}

function unpin(ts: readonly Tensor[]): void {
  for (const t of ts) {
    t._pins--;
    if (t._pins === 0 && t._disposeWhenUnpinned) {
      t._disposeWhenUnpinned = false;
      t.dispose();
    }
  }
}

function release(c: PendingCheck): void {
  c.flag.dispose();
  unpin(c.pinned);
}

function install(): void {
  readbackHooks.sync ??= flushChecksSync;
  readbackHooks.async ??= flushChecks;
}

function makeCheck(
  ok: Tensor,
  format: CheckFormatter,
  values: readonly Tensor[],
  where: string,
): PendingCheck {
  ok.assertAlive(where);
  if (ok.dtype !== "bool")
    throw new Error(
      `${where}: the check tensor must be bool, got ${ok.dtype} of shape [${ok.shape.join(", ")}]`,
    );
  for (const v of values) v.assertAlive(where);
  // A scalar per check (1 where some element fails); the reduction is deferred, so it runs in
  // the same pass as the other pending reductions over ok's shape.
  const flag = withBackend(ok.backend, () => max(astype(logicalNot(ok), "float32")));
  const set = new Set<Tensor>();
  collectPinned(ok, set);
  for (const v of values) collectPinned(v, set);
  collectPinned(flag, set);
  set.delete(flag);
  // The flag is ours: pin it too, so a scope ending before the readback cannot discard it.
  flag._pins++;
  const pinned = [...set];
  for (const t of pinned) t._pins++;
  registered++;
  return {
    serial: registered,
    inModel: handlerStack().length > 0,
    site: null,
    ok,
    values,
    format,
    flag,
    pinned: [...pinned, flag],
  };
}

function positionOf(flat: number, shape: Shape): number[] {
  const pos: number[] = [];
  let r = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    pos.unshift(r % shape[i]!);
    r = Math.floor(r / shape[i]!);
  }
  return pos;
}

function firstTrue(bad: TypedArray): number {
  for (let i = 0; i < bad.length; i++) if (bad[i]) return i;
  return -1;
}

function failureError(c: PendingCheck, bad: TypedArray, values: readonly TypedArray[]): Error {
  const index = Math.max(0, firstTrue(bad));
  const message = c.format({ index, position: positionOf(index, c.ok.shape), shape: c.ok.shape, values });
  return new Error(c.site === null ? message : `site '${c.site}': ${message}`);
}

/** Read a tensor without going through the readback hooks (they are what is running). */
function readSyncRaw(t: Tensor): TypedArray {
  return t.backend.readSync!(realize(t));
}

function readRaw(t: Tensor): Promise<TypedArray> {
  return t.backend.read(realize(t));
}

function failedSync(c: PendingCheck): Error {
  const bad = withBackend(c.ok.backend, () => logicalNot(c.ok));
  try {
    return failureError(c, readSyncRaw(bad), c.values.map(readSyncRaw));
  } finally {
    bad.dispose();
  }
}

async function failedAsync(c: PendingCheck): Promise<Error> {
  const bad = withBackend(c.ok.backend, () => logicalNot(c.ok));
  try {
    const [b, ...vs] = await Promise.all([bad, ...c.values].map(readRaw));
    return failureError(c, b!, vs);
  } finally {
    bad.dispose();
  }
}

/**
 * Check later that every element of the bool tensor `ok` is true. Nothing is read now: the
 * check is evaluated at the next readback (`await t.data()`, or `dataSync()`/`item()` on the
 * cpu), which then throws `new Error(format(failure))` for the first failing check in
 * registration order and discards the other pending ones. Works on every backend, inside
 * `scope()` (what the check reads is kept until it is evaluated; nothing leaks afterwards) and
 * under `jit` (a function that registers checks while being recorded runs eagerly, as one
 * that reads back does).
 *
 * @param ok - bool tensor, any shape; the check fails where an element is false.
 * @param format - writes the message from the first failing index and the `values`.
 * @param values - tensors the message quotes, read back only if the check fails.
 * @example
 * const loss = tensor([1, NaN]).sum();
 * deferCheck(isfinite(loss), (f) => `step 7: the loss is ${f.values[0]![0]}`, [loss]);
 * let message = "";
 * try {
 *   loss.item();
 * } catch (e) {
 *   message = (e as Error).message; // "step 7: the loss is NaN"
 * }
 */
export function deferCheck(ok: Tensor, format: CheckFormatter, values: readonly Tensor[] = []): void {
  if (ok.size === 0) return; // nothing to check (an empty max would be −∞ anyway)
  install();
  const c = makeCheck(ok, format, values, "deferCheck");
  pending.push(c);
  pendingElements += pinnedElements(c);
  if (!c.inModel) capPending();
}

/**
 * At most this many checks wait for a readback; past it they are evaluated (a loop that never
 * reads back, e.g. drawing many predictive samples or SVI steps between two progress updates,
 * would otherwise keep every draw's arguments alive). On the cpu they are evaluated at once; on
 * a backend without synchronous reads their one batched read starts now and a failure is
 * thrown at the next readback. Inside a model this happens after the site names them.
 */
export const MAX_PENDING_CHECKS = 256;

/**
 * Past this many elements pinned by the pending checks together (counted per check, so a
 * tensor shared by several counts several times) they are evaluated as past
 * {@link MAX_PENDING_CHECKS}: a few checks on [cells, genes] tensors keep as much memory alive
 * as hundreds of small ones.
 */
export const MAX_PENDING_ELEMENTS = 1 << 26;

let pendingElements = 0;

function pinnedElements(c: PendingCheck): number {
  let n = 0;
  for (const t of c.pinned) n += t.size;
  return n;
}

function capPending(): void {
  if (pending.length <= MAX_PENDING_CHECKS && pendingElements <= MAX_PENDING_ELEMENTS) return;
  flushChecksSync();
  // What is left reads asynchronously only: start its read now; the error waits for a readback.
  if (pending.length > 0) startAsync(takePending());
}

/**
 * A pending expression of at most this many elements is checked at once on the cpu (computing
 * it twice costs little); a larger one is deferred so its check joins the pass computing it.
 */
export const EAGER_RECOMPUTE_LIMIT = 65_536;

function cheapToReadNow(v: Tensor): boolean {
  return v._buf !== null || v.size <= EAGER_RECOMPUTE_LIMIT;
}

/**
 * Like {@link deferCheck}, but evaluated at once, throwing at the line that caused it (as
 * NumPyro's validation does), when that is possible and cheap: the backend reads
 * synchronously (the cpu), no model is running, and every tensor in `values` is in memory or
 * small (at most `EAGER_RECOMPUTE_LIMIT` elements).
 * Otherwise the check is deferred: on WebGPU there is no synchronous read; inside a model the
 * sample site that consumes the distribution names the error first (`site 'x': ...`); and a
 * pending expression would be computed twice, once for the check and once for its use, while
 * deferred its check joins the pass that computes it (W1 through `NegativeBinomial2` costs
 * the same with validation on). Checks registered earlier are evaluated first, so the first
 * error still wins.
 * @example
 * const sd = tensor([1, -2]);
 * let message = "";
 * try {
 *   checkOrDefer(sd.gt(0), (f) => `sd[${f.index}] = ${f.values[0]![f.index]} is not positive`, [sd]);
 * } catch (e) {
 *   message = (e as Error).message; // "sd[1] = -2 is not positive" (on the cpu, thrown here)
 * }
 */
export function checkOrDefer(ok: Tensor, format: CheckFormatter, values: readonly Tensor[] = []): void {
  if (ok.size === 0) return;
  const now =
    ok.backend.readSync !== undefined && handlerStack().length === 0 && values.every(cheapToReadNow);
  if (!now) {
    deferCheck(ok, format, values);
    return;
  }
  install();
  flushChecksSync();
  const c = makeCheck(ok, format, values, "checkOrDefer");
  try {
    if (readSyncRaw(c.flag)[0]) throw failedSync(c);
  } finally {
    release(c);
  }
}

/**
 * Name the checks registered inside the model since the previous call after the sample site
 * `site`: their messages start with `site '<site>': `. `sample` calls it once the site is
 * processed (the distribution it consumes was built just before, or while, it ran).
 */
export function nameChecks(site: string): void {
  if (namedUpTo === registered) return;
  for (const c of pending) if (c.serial > namedUpTo && c.inModel && c.site === null) c.site = site;
  namedUpTo = registered;
  capPending();
}

/** Take every pending check out of the queue. */
function takePending(): PendingCheck[] {
  pendingElements = 0;
  return pending.splice(0);
}

/**
 * The first failure of an evaluation that nobody awaited yet (a capped batch read in the
 * background), by serial number so the earliest registered check wins; thrown at the next flush.
 */
let failure: { serial: number; error: unknown } | null = null;

function throwFailure(): void {
  if (!failure) return;
  const { error } = failure;
  failure = null;
  throw error;
}

/** Start evaluating `batch`; the returned promise never rejects (a failure goes to `failure`). */
function startAsync(batch: readonly PendingCheck[]): Promise<void> {
  const serial = batch[0]?.serial ?? Number.POSITIVE_INFINITY;
  const mine = evaluateAsync(batch).catch((error: unknown) => {
    if (!failure || serial < failure.serial) failure = { serial, error };
  });
  const all = inflight ? Promise.all([inflight, mine]).then(() => undefined) : mine;
  const tracked: Promise<void> = all.finally(() => {
    if (inflight === tracked) inflight = null;
  });
  inflight = tracked;
  return tracked;
}

/**
 * Evaluate every pending check now and throw the first failure in registration order. The
 * flags of all pending checks on one backend are stacked into one small buffer on the device
 * and read with one readback (per backend), together with evaluations already in flight. The
 * readbacks call this; algorithms may call it at their own boundaries.
 */
export async function flushChecks(): Promise<void> {
  const batch = takePending();
  if (batch.length > 0) startAsync(batch);
  if (inflight) await inflight;
  throwFailure();
}

/** The checks of `batch` grouped by the backend their flags live on, in registration order. */
function byBackend(batch: readonly PendingCheck[]): Map<Backend, PendingCheck[]> {
  const groups = new Map<Backend, PendingCheck[]>();
  for (const c of batch) {
    const list = groups.get(c.flag.backend);
    if (list) list.push(c);
    else groups.set(c.flag.backend, [c]);
  }
  return groups;
}

async function evaluateAsync(batch: readonly PendingCheck[]): Promise<void> {
  const stacked: Tensor[] = [];
  try {
    // Everything up to the first await runs now: each backend's flags are reduced (their
    // passes joined with the other pending reductions over the same shapes) and copied into one
    // vector, so one readback per backend serves the whole batch.
    const groups = [...byBackend(batch).values()];
    const reads = groups.map((checks) => {
      const flags = withBackend(checks[0]!.flag.backend, () =>
        // in a scope: the unsqueezed views of the flags go with it, only the stack is kept
        checks.length === 1 ? checks[0]!.flag : scope(() => stack(checks.map((c) => c.flag))),
      );
      if (flags !== checks[0]!.flag) stacked.push(flags);
      return readRaw(flags);
    });
    const values = await Promise.all(reads);
    let first: PendingCheck | null = null;
    for (let g = 0; g < groups.length; g++) {
      const checks = groups[g]!; // g < groups.length
      const v = values[g]!; // one read per group
      const i = checks.findIndex((_, j) => v[j] !== 0);
      const c = i >= 0 ? checks[i] : undefined;
      if (c && (first === null || c.serial < first.serial)) first = c;
    }
    if (first !== null) throw await failedAsync(first);
  } finally {
    for (const t of stacked) t.dispose();
    for (const c of batch) release(c);
  }
}

/**
 * Evaluate the pending checks on backends that read synchronously (the cpu) and throw the
 * first failure; checks on other backends stay pending for the next `await`.
 */
export function flushChecksSync(): void {
  throwFailure();
  if (pending.length === 0) return;
  const batch: PendingCheck[] = [];
  for (let i = 0; i < pending.length; ) {
    if (pending[i]!.flag.backend.readSync) batch.push(pending.splice(i, 1)[0]!);
    else i++;
  }
  pendingElements = 0;
  for (const c of pending) pendingElements += pinnedElements(c);
  try {
    for (const c of batch) realize(c.flag);
    for (const c of batch) if (readSyncRaw(c.flag)[0]) throw failedSync(c);
  } finally {
    for (const c of batch) release(c);
  }
}

/** How many checks are waiting for a readback. */
export function pendingChecks(): number {
  return pending.length;
}

/** Drop every pending check unevaluated (releasing what they kept alive). */
export function discardChecks(): void {
  for (const c of takePending()) release(c);
}

/**
 * How many checks have been registered so far (a counter that only grows); `jit` compares it
 * around a recording to see whether the function checks values.
 * @internal
 */
export function checksRegistered(): number {
  return registered;
}

/**
 * The flags (a float32 scalar, 1 when some element of its `ok` is false) of the checks registered
 * after the `serial`-th that are still pending, in registration order. jit's keyed programs
 * (jit/keyed-program.ts) compute them as outputs, so a replay knows when its step would fail a
 * check and can rerun it eagerly, where the check throws with its message.
 * @internal
 */
export function pendingCheckFlagsSince(serial: number): Tensor[] {
  return pending.filter((c) => c.serial > serial).map((c) => c.flag);
}
