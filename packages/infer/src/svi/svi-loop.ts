/**
 * The one SVI training loop (`SVI.run`), used as is by SCRIBE's `fit()`: steps are only
 * enqueued; every `logEvery` steps the losses (and, under stable updates, the steps' status
 * codes) are stacked on the device and read back in one `await`, and only then do progress,
 * early stopping, the non-finite-step count and checkpoints run. An `AbortSignal` stops the
 * run at a step boundary; a run resumed from a snapshot (state + history) continues bit for
 * bit. Between steps the loop yields to the event loop about every 100 ms, so signal
 * handlers (Ctrl-C) and other tasks run even on the CPU, where a step never waits. The run
 * stays on the backend that was current when it started, whatever other code switches to
 * while it awaits.
 * @module
 */
import {
  currentBackend,
  dispose,
  type Key,
  keep,
  scope,
  stack,
  type Tensor,
  withBackend,
} from "@scribe/core";
import { EarlyStopping } from "./early-stopping.js";
import {
  describeStatus,
  nonFiniteSites,
  STEP_FINITE,
  STEP_LOSS_NON_FINITE,
  SVINonFiniteError,
} from "./non-finite.js";
import { SVIProgressBar } from "./progress-bar.js";
import type { SVI } from "./svi.js";
import type { SVIRunOptions, SVIRunResult, SVISnapshot, SVIState } from "./svi-types.js";

/** One enqueued step whose loss has not been read yet. */
interface PendingStep {
  loss: Tensor;
  status?: Tensor;
  /** The key its loss used (to replay it if it fails). */
  key: Key;
}

/** The most recent non-finite step. */
interface BadStep {
  step: number;
  code: number;
  key: Key;
}

const now = () => globalThis.performance?.now() ?? Date.now();

/** A macrotask turn: lets signal handlers and timers run (setImmediate in Node, else setTimeout). */
function yieldToEventLoop(): Promise<void> {
  const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((r) => (si ? si(r) : setTimeout(r, 0)));
}

function copyParams(params: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  return scope(() => {
    const out: Record<string, Tensor> = {};
    for (const [k, p] of Object.entries(params)) out[k] = keep(p.add(0));
    return out;
  });
}

/** Count of non-finite losses at the end of a history (consecutive failures carried into a resumed run). */
function trailingNonFinite(losses: Float64Array): number {
  let n = 0;
  for (let i = losses.length - 1; i >= 0 && !Number.isFinite(losses[i]!); i--) n++;
  return n;
}

/** The loop behind {@link SVI.run}; see the module doc. */
export async function runSVILoop<A extends unknown[]>(
  svi: SVI<A>,
  rngKey: Key | number,
  numSteps: number,
  args: A,
  opts: SVIRunOptions,
): Promise<SVIRunResult> {
  if (!Number.isInteger(numSteps) || numSteps < 0)
    throw new Error(`SVI.run: numSteps must be a non-negative integer, got ${numSteps}`);
  const every = Math.max(1, Math.floor(opts.logEvery ?? 100));
  const maxBad = opts.maxNonFiniteSteps ?? 100;
  if (!(Number.isInteger(maxBad) && maxBad >= 1))
    throw new Error(`SVI.run: maxNonFiniteSteps must be an integer ≥ 1, got ${maxBad}`);
  const ck = opts.checkpoint;
  if (ck && !(Number.isInteger(ck.every) && ck.every >= 1))
    throw new Error(`SVI.run: checkpoint.every must be an integer ≥ 1, got ${ck.every}`);
  if (opts.history && !opts.initState)
    throw new Error("SVI.run: `history` continues a run, so it needs that run's `initState`");
  const stable = opts.stableUpdate ?? false;
  const backend = currentBackend();
  const here = <T>(f: () => T): T => withBackend(backend, f);

  let state: SVIState = opts.initState ?? here(() => svi.init(rngKey, args, opts.initParams));
  const prior = opts.history?.losses ?? new Float64Array(0);
  const base = prior.length;
  const losses = new Float64Array(base + numSteps);
  losses.set(prior);
  let skipped = opts.history?.skippedSteps ?? 0;
  let consecutive = trailingNonFinite(prior);
  const es = opts.earlyStopping ? new EarlyStopping(opts.earlyStopping) : null;
  let best: Record<string, Tensor> | null = opts.history?.bestParams ?? null;
  if (es && opts.history?.earlyStopping) es.restore(opts.history.earlyStopping, prior);
  if (best && !es?.restoreBest) {
    dispose(Object.values(best));
    best = null;
  }
  const bar = new SVIProgressBar(base + numSteps, { enabled: opts.progressBar });

  let pending: PendingStep[] = [];
  let done = 0;
  let lastBad: BadStep | null = null;
  let stop: "early" | "nonFinite" | null = null;
  let interrupted = false;
  let lastSaved = -1;

  const snapshot = (): SVISnapshot => ({
    state,
    losses: losses.slice(0, base + done),
    skippedSteps: skipped,
    ...(es ? { earlyStopping: es.record } : {}),
    ...(best ? { bestParams: best } : {}),
  });
  const save = async () => {
    if (!ck || lastSaved === base + done) return;
    await ck.save(snapshot(), base + done);
    lastSaved = base + done;
  };

  // Read the pending losses (and status codes) in one batch and act on them.
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const dt = batch[0]!.loss.dtype === "float64" ? "float64" : "float32";
    const packed = here(() =>
      scope(() =>
        stack([
          ...batch.map((p) => p.loss.astype(dt).reshape([])),
          ...(stable ? batch.map((p) => p.status!.astype(dt)) : []),
        ]),
      ),
    );
    let vals: ArrayLike<number>;
    try {
      vals = (await packed.data()) as ArrayLike<number>;
    } finally {
      packed.dispose();
      dispose(batch.map((p) => [p.loss, p.status]));
    }
    const n = batch.length;
    const first = base + done - n;
    let sum = 0;
    let finite = 0;
    for (let j = 0; j < n; j++) {
      const v = Number(vals[j]);
      losses[first + j] = v;
      const code = stable ? Number(vals[n + j]) : Number.isFinite(v) ? STEP_FINITE : STEP_LOSS_NON_FINITE;
      if (code !== STEP_FINITE || !Number.isFinite(v)) {
        skipped++;
        consecutive++;
        lastBad = {
          step: first + j + 1,
          code: code === STEP_FINITE ? STEP_LOSS_NON_FINITE : code,
          key: batch[j]!.key,
        };
        if (consecutive >= maxBad) stop = "nonFinite";
      } else {
        consecutive = 0;
        es?.observe(v);
        sum += v;
        finite++;
      }
    }
    const last = losses[base + done - 1]!;
    const smoothed = es ? es.smoothed : finite ? sum / finite : Number.NaN;
    opts.onProgress?.({
      stepsDone: base + done,
      totalSteps: base + numSteps,
      loss: last,
      smoothedLoss: smoothed,
      skippedSteps: skipped,
    });
    bar.update(base + done, Number.isFinite(smoothed) ? smoothed : last, skipped);
    if (es && stop === null) {
      const c = es.check(base + done);
      if (c.improved && es.restoreBest) {
        if (best) dispose(Object.values(best));
        best = here(() => copyParams(svi.optim.getParams(state.optimState)));
      }
      if (c.stop) stop = "early";
    }
  };

  let lastYield = now();
  try {
    while (done < numSteps && stop === null) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const key = svi.stepKey(state);
      if (stable) {
        const r = here(() => svi.stableUpdate(state, args));
        state = r.state;
        pending.push({ loss: r.loss, status: r.status, key });
      } else {
        const r = here(() => svi.update(state, args));
        state = r.state;
        pending.push({ loss: r.loss, key });
      }
      done++;
      const ckDue = ck !== undefined && (base + done) % ck.every === 0;
      if (pending.length >= every || ckDue || done === numSteps) await flush();
      if (ckDue && stop !== "nonFinite") await save();
      if (now() - lastYield > 100) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }
    await flush();
  } catch (e) {
    dispose(pending.map((p) => [p.loss, p.status]));
    throw e;
  } finally {
    bar.done();
    // the compiled step's program is rebuilt by the next run (its buffers are not kept meanwhile)
    svi.releaseCompiledStep();
  }

  if (stop === "nonFinite")
    throw await nonFiniteError(svi, args, state, lastBad!, {
      maxBad,
      stable,
      skipped,
      save: ck ? save : null,
      best,
      here,
    });
  if (interrupted || done === numSteps || stop === "early") await save();

  const stoppedEarly = stop === "early";
  if (best && es && es.bestStep !== base + done && !interrupted) {
    const os = state.optimState;
    const replaced = Object.values(os.params);
    state = { ...state, optimState: { ...os, params: best } };
    dispose(replaced);
  } else if (best) dispose(Object.values(best));
  const out: SVIRunResult = {
    params: here(() => svi.getParams(state)),
    state,
    losses: losses.slice(0, base + done),
    stepsDone: base + done,
    skippedSteps: skipped,
    interrupted,
  };
  if (es) Object.assign(out, { stoppedEarly, bestStep: es.bestStep, bestLoss: es.bestLoss });
  return out;
}

/** Save what can be saved, replay the failing step for the sites, and build the error. */
async function nonFiniteError<A extends unknown[]>(
  svi: SVI<A>,
  args: A,
  state: SVIState,
  bad: BadStep,
  o: {
    maxBad: number;
    stable: boolean;
    skipped: number;
    save: (() => Promise<void>) | null;
    best: Record<string, Tensor> | null;
    here: <T>(f: () => T) => T;
  },
): Promise<SVINonFiniteError> {
  const names = Object.keys(state.optimState.params);
  let where = describeStatus(bad.code, names);
  if (bad.code === STEP_LOSS_NON_FINITE) {
    try {
      const sites = await o.here(() =>
        nonFiniteSites(bad.key, svi.getParams(state), svi.model, svi.guide, args),
      );
      if (sites.length) where += ` (replaying it: ${sites.join(", ")})`;
    } catch {
      // the replay is only a diagnosis; the error below stands without it
    }
  }
  let saved = "";
  if (o.save && o.stable) {
    await o.save();
    saved = "; a checkpoint of the last finite state was saved";
  }
  if (o.best) dispose(Object.values(o.best));
  const from = bad.step - o.maxBad + 1;
  const msg =
    `SVI: ${o.maxBad} consecutive non-finite steps (steps ${from}–${bad.step}; ${o.skipped} in all): at step ${bad.step} ${where}. ` +
    (o.stable
      ? `The params are those of the last finite step${saved}.`
      : "Without stableUpdate the params are no longer finite.") +
    " Try a smaller learning rate.";
  return new SVINonFiniteError(msg, bad.step, where, state);
}
