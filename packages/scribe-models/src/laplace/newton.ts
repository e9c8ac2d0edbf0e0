/**
 * The E-step of Laplace-EM: per-cell Newton ascent to the mode of p(x_c | u_c), all cells at
 * once as tensors. Defaults are SCRIBE's (SCRIBE Laplace-EM: 5 Newton steps,
 * tolerance 1e−4 on the largest coordinate of the step, damping 1e−2 on the diagonal,
 * steps capped at 5 per coordinate, rescue on). Between steps only one scalar is read (how
 * many cells still run, to stop early); the per-cell status (converged / not / non-finite)
 * and step counts are read with one `await` after the pass. Cells that did not converge are "rescued": restarted from their last finite
 * point (or μ) on their own, with a backtracking line search on the log joint (monotone
 * ascent) for up to `rescueSteps` more steps; those still unconverged are counted as failed.
 * @module
 */
import {
  concat,
  dispose,
  gather,
  isfinite,
  keep,
  logicalAnd,
  logicalNot,
  logicalOr,
  scatterAdd,
  scope,
  type Tensor,
  tensor,
  where,
} from "@scribe/core";
import { type LaplaceContext, logJoint, newtonDirection } from "./newton-system.js";
import type { ObservationData } from "./observation.js";

/** Newton settings of the E-step. */
export interface NewtonOptions {
  /** Vectorised Newton steps per E-step (default 5). */
  maxSteps?: number;
  /** Converged when the largest |step| of a cell is below this (default 1e−4). */
  tolerance?: number;
  /** Added to the diagonal of the negative Hessian (default 1e−2). */
  damping?: number;
  /** Largest step per coordinate; larger steps are scaled down (default 5). */
  maxStep?: number;
  /** Rescue cells that did not converge (default true). */
  rescue?: boolean;
  /** Line-searched Newton steps of a rescue (default 50). */
  rescueSteps?: number;
}

/** What {@link newtonEStep} returns. */
export interface EStepResult {
  /** Modes [C, G'] (a new tensor; the caller owns it). */
  readonly x: Tensor;
  /** Newton steps each cell took in the vectorised pass (≤ maxSteps), before any rescue. */
  readonly iterations: Int32Array;
  /** Cells converged within the vectorised pass. */
  readonly converged: number;
  /** Cells sent to the rescue. */
  readonly rescued: number;
  /** Cells still unconverged (or non-finite) after the rescue. */
  readonly failed: number;
}

interface Resolved {
  maxSteps: number;
  tolerance: number;
  damping: number;
  maxStep: number;
  rescue: boolean;
  rescueSteps: number;
}

function resolve(o: NewtonOptions): Resolved {
  const positiveInt = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      throw new Error(`laplace newton: ${name} must be a positive integer, got ${v}`);
  };
  const positive = (name: string, v: number | undefined, orZero = false) => {
    if (v !== undefined && !(Number.isFinite(v) && (v > 0 || (orZero && v === 0))))
      throw new Error(`laplace newton: ${name} must be ${orZero ? "≥ 0" : "> 0"}, got ${v}`);
  };
  positiveInt("maxSteps", o.maxSteps);
  positiveInt("rescueSteps", o.rescueSteps);
  positive("tolerance", o.tolerance);
  positive("maxStep", o.maxStep);
  positive("damping", o.damping, true);
  return {
    maxSteps: o.maxSteps ?? 5,
    tolerance: o.tolerance ?? 1e-4,
    damping: o.damping ?? 1e-2,
    maxStep: o.maxStep ?? 5,
    rescue: o.rescue ?? true,
    rescueSteps: o.rescueSteps ?? 50,
  };
}

/** Scale each cell's step so that no coordinate moves more than `maxStep`; returns it and its size [C, 1]. */
function cappedStep(dir: Tensor, maxStep: number): { step: Tensor; size: Tensor } {
  const size = dir.abs().max(-1, true);
  const scale = size.maximum(maxStep).reciprocal().mul(maxStep); // min(1, maxStep / size)
  return { step: dir.mul(scale), size: size.mul(scale) };
}

/** Status per cell: 0 converged, 1 not converged, 2 non-finite. */
function status(done: Tensor, x: Tensor): Tensor {
  const finite = isfinite(x).astype(x.dtype).min(-1, true).gt(0);
  return where(finite, where(done, 0, 1), 2)
    .squeeze(-1)
    .astype(x.dtype);
}

/**
 * The plain vectorised pass: capped, damped Newton steps with per-cell stopping. After each
 * step one scalar (the number of cells still running) is read, so that warm-started E-steps,
 * which converge in two steps, stop there instead of computing `maxSteps` steps.
 */
async function vectorisedPass(
  ctx: LaplaceContext,
  x0: Tensor,
  o: Resolved,
): Promise<{ x: Tensor; iters: Tensor; state: Tensor }> {
  let cur = scope(() => ({
    x: x0.add(0),
    done: x0.slice([0, 0], [null, 1]).mul(0).gt(1), // all false [C, 1]
    iters: x0.slice([0, 0], [null, 1]).mul(0),
  }));
  for (let s = 0; s < o.maxSteps; s++) {
    const prev = cur;
    const next = scope(() => {
      const { step, size } = cappedStep(newtonDirection(ctx, prev.x, o.damping), o.maxStep);
      const active = logicalNot(prev.done);
      const done = logicalOr(prev.done, size.lt(o.tolerance));
      return {
        x: where(active, prev.x.add(step), prev.x),
        done,
        iters: prev.iters.add(active.astype(prev.x.dtype)),
        running: logicalNot(done).astype(prev.x.dtype).sum(),
      };
    });
    dispose(prev);
    cur = { x: next.x, done: next.done, iters: next.iters };
    const [running] = await next.running.data();
    next.running.dispose();
    if (running === 0) break;
  }
  const out = scope(() => ({ x: cur.x, iters: cur.iters.squeeze(-1), state: status(cur.done, cur.x) }));
  dispose([cur.done, cur.iters]);
  return out;
}

/** Rows of the cell data at `idx`. */
function dataRows(data: ObservationData, idx: Tensor): ObservationData {
  return {
    counts: gather(data.counts, idx, 0),
    offset: data.offset ? gather(data.offset, idx, 0) : null,
    totals: gather(data.totals, idx, 0),
    constant: gather(data.constant, idx, 0),
  };
}

const LINE_SEARCH = [1, 0.5, 0.25, 0.125, 1 / 16, 1 / 64];

/** Steps of the rescue between its readbacks of "every rescued cell is done". */
const RESCUE_CHUNK = 5;

/** Rescue state carried between chunks (tensors the caller disposes). */
interface RescueState {
  x: Tensor;
  f: Tensor;
  done: Tensor;
}

/** `steps` line-searched Newton steps: each takes the best of a few step lengths (or none). */
function rescueSteps(ctx: LaplaceContext, s0: RescueState, steps: number, o: Resolved): RescueState {
  return scope(() => {
    let { x, f, done } = s0;
    for (let s = 0; s < steps; s++) {
      const { step } = cappedStep(newtonDirection(ctx, x, o.damping * 10), o.maxStep);
      let best = f;
      let bestX = x;
      let moved = x.slice([0, 0], [null, 1]).mul(0);
      for (const a of LINE_SEARCH) {
        const xa = x.add(step.mul(a));
        const fa = logJoint(ctx, xa).value.unsqueeze(-1);
        const better = logicalAnd(fa.gt(best), isfinite(fa));
        best = where(better, fa, best);
        bestX = where(better, xa, bestX);
        moved = where(better, step.mul(a).abs().max(-1, true), moved);
      }
      const active = logicalNot(done);
      x = where(active, bestX, x);
      f = where(active, best, f);
      // No step length improves the log joint: the cell sits at its mode (to this precision).
      done = logicalOr(done, moved.lt(o.tolerance));
    }
    return { x, f, done };
  });
}

/**
 * Line-searched Newton (monotone ascent of the log joint) on a subset of cells, for up to
 * `rescueSteps` steps; stops early once every cell is done (one readback per few steps).
 */
async function rescuePass(
  ctx: LaplaceContext,
  x0: Tensor,
  o: Resolved,
): Promise<{ x: Tensor; state: Tensor }> {
  let st: RescueState = scope(() => ({
    x: x0.add(0),
    f: logJoint(ctx, x0).value.unsqueeze(-1),
    done: x0.slice([0, 0], [null, 1]).mul(0).gt(1),
  }));
  for (let s = 0; s < o.rescueSteps; s += RESCUE_CHUNK) {
    const next = rescueSteps(ctx, st, Math.min(RESCUE_CHUNK, o.rescueSteps - s), o);
    dispose(st);
    st = next;
    const open = scope(() => logicalNot(st.done).astype(st.x.dtype).sum());
    const [left] = await open.data();
    open.dispose();
    if (left === 0) break;
  }
  const state = scope(() => status(st.done, st.x));
  st.f.dispose();
  st.done.dispose();
  return { x: st.x, state };
}

/**
 * Newton E-step from `x0` [C, G'] (warm start: the previous modes). The globals in `ctx`
 * are treated as constants. Reads the per-cell status once (twice when cells are rescued).
 */
export async function newtonEStep(
  ctx: LaplaceContext,
  x0: Tensor,
  options: NewtonOptions = {},
): Promise<EStepResult> {
  const o = resolve(options);
  const C = x0.shape[0]!;
  const pass = await vectorisedPass(ctx, x0, o);
  const flagTensor = scope(() => concat([pass.state, pass.iters]));
  const flags = await flagTensor.data();
  flagTensor.dispose();
  const iterations = Int32Array.from({ length: C }, (_, c) => flags[C + c]!);
  const bad: number[] = [];
  for (let c = 0; c < C; c++) if (flags[c] !== 0) bad.push(c);
  let x = pass.x;
  let failed = 0;
  if (bad.length > 0 && o.rescue) {
    const setup = scope(() => {
      const idx = tensor(bad, { dtype: "int32" });
      // Non-finite cells restart at the prior mean; others at their last point.
      const clean = where(isfinite(pass.x), pass.x, ctx.prior.mu);
      return { idx, clean, start: gather(clean, idx, 0), rows: dataRows(ctx.data, idx) };
    });
    const r = await rescuePass({ ...ctx, data: setup.rows }, setup.start, o);
    const res = {
      x: scope(() => scatterAdd(setup.clean, setup.idx, r.x.sub(setup.start), 0)),
      state: r.state,
    };
    dispose([setup, r.x]);
    const st = await res.state.data();
    for (let i = 0; i < st.length; i++) if (st[i] !== 0) failed++;
    pass.x.dispose();
    res.state.dispose();
    x = res.x;
  } else failed = bad.length;
  pass.state.dispose();
  pass.iters.dispose();
  keep(x);
  return { x, iterations, converged: C - bad.length, rescued: o.rescue ? bad.length : 0, failed };
}
