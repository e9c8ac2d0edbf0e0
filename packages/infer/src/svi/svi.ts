/**
 * Stochastic variational inference: holds a model, a guide, an optimizer and an ELBO loss.
 * Params live in the optimizer state unconstrained; `getParams` maps them back through
 * the installed param transform (`bijectTo` of each param's constraint).
 * @module
 */
import {
  type ConstraintLike,
  dispose,
  isfinite,
  type Key,
  keep,
  key as makeKey,
  scope,
  splitKey,
  stack,
  type Tensor,
  valueAndGrad,
} from "@scribe/core";
import type { Optimizer, OptimizerState } from "../optim/optimizer.js";
import { constrainParams, paramSites, runTrace, unconstrainParams } from "../util/sites.js";
import { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping.js";
import type { ELBOLoss, ModelFn } from "./elbo.js";
import { SVIProgressBar } from "./progress-bar.js";

/** An object usable as a guide (the autoguides): its `call` runs the guide. */
export interface GuideLike<A extends unknown[]> {
  call(...args: A): unknown;
}

/** SVI's state: the optimizer state (unconstrained params) and the next random key. */
export interface SVIState {
  readonly optimState: OptimizerState;
  readonly rngKey: Key;
}

/** Result of {@link SVI.run}. */
export interface SVIRunResult {
  /** Constrained params at the end (the best ones when early stopping restored them). */
  params: Record<string, Tensor>;
  /** The final state (pass it back as `initState` to continue). */
  state: SVIState;
  /** The loss at every step that ran. */
  losses: Float64Array;
  /** Whether early stopping ended the run before `numSteps`. */
  stoppedEarly?: boolean;
  /** With early stopping: steps done when the best smoothed loss was seen, and that loss. */
  bestStep?: number;
  bestLoss?: number;
}

/** How `run` saves checkpoints (see `checkpointEvery` in `svi/checkpoint-node.ts`). */
export interface SVICheckpointOptions {
  /** Save every this many steps (and at the end). */
  every: number;
  /** Receives the state after `stepsDone` steps of this run; must not dispose it. */
  save: (state: SVIState, stepsDone: number) => void;
}

/** Options of {@link SVI.run}. */
export interface SVIRunOptions {
  /** Skip steps whose loss or gradients are not finite (reads one flag per step). */
  stableUpdate?: boolean;
  /** Continue from this state instead of initializing (it is consumed). */
  initState?: SVIState;
  /** Initial constrained values of some params (ignored with `initState`). */
  initParams?: Record<string, Tensor>;
  /** Called every `logEvery` steps with the step index and the latest loss. */
  onProgress?: (step: number, loss: number) => void;
  /** How often losses are read back, `onProgress` called and early stopping checked (default 100). */
  logEvery?: number;
  /** Draw a progress bar on stderr: default when stderr is a terminal; false never. */
  progressBar?: boolean;
  /** Stop when the smoothed loss stops improving. */
  earlyStopping?: EarlyStoppingOptions;
  /** Save the state periodically. */
  checkpoint?: SVICheckpointOptions;
}

/**
 * SVI(model, guide, optimizer, loss).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = () => {
 *   const loc = param("loc", tensor(0));
 *   const scale = param("scale", tensor(1), { constraint: positive });
 *   sample("mu", new Normal(loc, scale));
 * };
 * const svi = new SVI(model, guide, adam(0.05), new TraceELBO());
 * const { params, losses } = svi.run(key(0), 100, [y]); // losses: the −ELBO at each step
 * [params.loc!.item(), params.scale!.item()]; // ≈ [1.0, 0.44]; the exact posterior is N(1.08, 0.45²)
 */
export class SVI<A extends unknown[]> {
  private constraints = new Map<string, ConstraintLike | null>();
  private initialized = false;

  /** The guide as a plain function. */
  readonly guide: ModelFn<A>;

  constructor(
    readonly model: ModelFn<A>,
    guide: ModelFn<A> | GuideLike<A>,
    readonly optim: Optimizer,
    readonly loss: ELBOLoss,
  ) {
    this.guide = typeof guide === "function" ? guide : (...args: A) => guide.call(...args);
  }

  /** Initialize params (from the guide's and the model's param sites) and the optimizer. */
  init(rngKey: Key | number, args: A, initParams: Record<string, Tensor> = {}): SVIState {
    const k = typeof rngKey === "number" ? makeKey(rngKey) : rngKey;
    const [kNext, kGuide, kModel] = splitKey(k, 3);
    const optimState = scope(() => {
      const guideTrace = runTrace(this.guide, args, { rngKey: kGuide!, params: initParams });
      const modelTrace = runTrace(this.model, args, {
        rngKey: kModel!,
        replayTrace: guideTrace,
        params: initParams,
      });
      const constraints = new Map<string, ConstraintLike | null>();
      const params: Record<string, Tensor> = {};
      for (const tr of [guideTrace, modelTrace])
        for (const p of paramSites(tr)) {
          params[p.name] = p.value;
          constraints.set(p.name, p.constraint);
        }
      Object.assign(params, initParams);
      this.constraints = constraints;
      this.initialized = true;
      return this.optim.init(unconstrainParams(params, constraints));
    });
    return { optimState, rngKey: kNext! };
  }

  /**
   * Learn the params' constraints without keeping an initial state (for a state that was
   * loaded from a checkpoint into a fresh SVI object).
   */
  private learnConstraints(args: A): void {
    const s = this.init(makeKey(0), args);
    this.optim.dispose(s.optimState);
  }

  /** Constrained params of a state. */
  getParams(state: SVIState): Record<string, Tensor> {
    return constrainParams(this.optim.getParams(state.optimState), this.constraints);
  }

  private lossFn(k: Key, args: A) {
    return (u: Record<string, Tensor>) =>
      this.loss.loss(k, constrainParams(u, this.constraints), this.model, this.guide, args);
  }

  /** One optimization step; returns the new state and the loss before the step. */
  update(state: SVIState, args: A): { state: SVIState; loss: Tensor } {
    if (!this.initialized) this.learnConstraints(args);
    const [kNext, kStep] = splitKey(state.rngKey, 2);
    return scope(() => {
      const [loss, grads] = valueAndGrad(this.lossFn(kStep!, args))(
        this.optim.getParams(state.optimState) as Record<string, Tensor>,
      );
      const optimState = this.optim.update(grads, state.optimState);
      return { state: { optimState, rngKey: kNext! }, loss };
    });
  }

  /** Like `update`, but leaves the params unchanged when the loss or a gradient is not finite. */
  stableUpdate(state: SVIState, args: A): { state: SVIState; loss: Tensor } {
    if (!this.initialized) this.learnConstraints(args);
    const [kNext, kStep] = splitKey(state.rngKey, 2);
    return scope(() => {
      const [loss, grads] = valueAndGrad(this.lossFn(kStep!, args))(
        this.optim.getParams(state.optimState) as Record<string, Tensor>,
      );
      let flag = isfinite(loss).astype("float32");
      for (const g of Object.values(grads)) flag = flag.mul(isfinite(g).astype("float32").min());
      const ok = flag.item() === 1;
      const optimState = ok ? this.optim.update(grads, state.optimState) : state.optimState;
      return { state: { optimState, rngKey: kNext! }, loss };
    });
  }

  /** −ELBO at the current params, without a step. */
  evaluate(state: SVIState, args: A): Tensor {
    if (!this.initialized) this.learnConstraints(args);
    const [, kStep] = splitKey(state.rngKey, 2);
    return this.lossFn(kStep!, args)(this.optim.getParams(state.optimState) as Record<string, Tensor>);
  }

  /**
   * Run `numSteps` steps; losses are read back every `logEvery` steps in one batch. With
   * `initState` the run continues that state exactly: the same keys, the same optimizer
   * step, so an interrupted and resumed run is bit-identical to an uninterrupted one.
   */
  run(rngKey: Key | number, numSteps: number, args: A, opts: SVIRunOptions = {}): SVIRunResult {
    if (opts.initState && !this.initialized) this.learnConstraints(args);
    let state = opts.initState ?? this.init(rngKey, args, opts.initParams);
    const losses = new Float64Array(numSteps);
    const every = Math.max(1, opts.logEvery ?? 100);
    const bar = new SVIProgressBar(numSteps, { enabled: opts.progressBar });
    const es = opts.earlyStopping ? new EarlyStopping(opts.earlyStopping) : null;
    const ck = opts.checkpoint;
    if (ck && !(ck.every >= 1)) throw new Error(`SVI.run: checkpoint.every must be ≥ 1, got ${ck.every}`);
    let best: Record<string, Tensor> | null = null;
    let pending: Tensor[] = [];
    let done = 0;
    let stop = false;
    const flush = () => {
      if (pending.length === 0) return;
      const vals = scope(() => stack(pending.map((t) => t.astype("float64"))).dataSync());
      for (let j = 0; j < pending.length; j++) {
        const v = Number(vals[j]);
        losses[done - pending.length + j] = v;
        es?.observe(v);
      }
      dispose(pending);
      pending = [];
      const last = losses[done - 1]!;
      opts.onProgress?.(done - 1, last);
      bar.update(done, es ? es.smoothed : last);
      if (es) {
        const c = es.check(done);
        if (c.improved && es.restoreBest) {
          if (best) dispose(Object.values(best));
          best = snapshot(this.optim.getParams(state.optimState));
        }
        stop = c.stop;
      }
    };
    try {
      while (done < numSteps && !stop) {
        const r = opts.stableUpdate ? this.stableUpdate(state, args) : this.update(state, args);
        state = r.state;
        pending.push(r.loss);
        done++;
        if (pending.length >= every) flush();
        if (ck && done % ck.every === 0) ck.save(state, done);
      }
      flush();
      if (ck && done % ck.every !== 0) ck.save(state, done);
    } finally {
      bar.done();
    }
    const stoppedEarly = done < numSteps;
    if (best && es && es.bestStep !== done) {
      const os = state.optimState;
      const replaced = Object.values(os.params);
      state = { ...state, optimState: { ...os, params: best } };
      dispose(replaced);
    } else if (best) dispose(Object.values(best));
    const out: SVIRunResult = {
      params: this.getParams(state),
      state,
      losses: stoppedEarly ? losses.slice(0, done) : losses,
    };
    if (es) Object.assign(out, { stoppedEarly, bestStep: es.bestStep, bestLoss: es.bestLoss });
    return out;
  }
}

function snapshot(params: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  scope(() => {
    for (const [k, p] of Object.entries(params)) out[k] = keep(p.add(0));
  });
  return out;
}
