/**
 * Stochastic variational inference: holds a model, a guide, an optimizer and an ELBO loss.
 * Params live in the optimizer state unconstrained; `getParams` maps them back through
 * the installed param transform (`bijectTo` of each param's constraint).
 * @module
 */
import {
  type ConstraintLike,
  isfinite,
  type Key,
  key as makeKey,
  scope,
  splitKey,
  stack,
  type Tensor,
  valueAndGrad,
} from "@scribe/core";
import type { Optimizer, OptimizerState } from "../optim/optimizer.js";
import { constrainParams, paramSites, runTrace, unconstrainParams } from "../util/sites.js";
import type { ELBOLoss, ModelFn } from "./elbo.js";

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
  /** Constrained params at the end. */
  params: Record<string, Tensor>;
  /** The final state (pass it back to continue). */
  state: SVIState;
  /** The loss at every step. */
  losses: Float64Array;
}

/** Options of {@link SVI.run}. */
export interface SVIRunOptions {
  /** Skip steps whose loss or gradients are not finite (reads one flag per step). */
  stableUpdate?: boolean;
  /** Continue from this state instead of initializing. */
  initState?: SVIState;
  /** Called every `logEvery` steps with the step index and the latest loss. */
  onProgress?: (step: number, loss: number) => void;
  /** How often losses are read back and `onProgress` called (default 100). */
  logEvery?: number;
}

/**
 * SVI(model, guide, optimizer, loss).
 * @example
 * const svi = new SVI(model, guide, adam(0.01), new TraceELBO());
 * const { params, losses } = svi.run(key(0), 2000, [data]);
 */
export class SVI<A extends unknown[]> {
  private constraints = new Map<string, ConstraintLike | null>();

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
      return this.optim.init(unconstrainParams(params, constraints));
    });
    return { optimState, rngKey: kNext! };
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
    const [kNext, kStep] = splitKey(state.rngKey, 2);
    return scope(() => {
      const [loss, grads] = valueAndGrad(this.lossFn(kStep!, args))(
        this.optim.getParams(state.optimState) as Record<string, Tensor>,
      );
      let ok = isfinite(loss).item() !== 0;
      for (const g of Object.values(grads)) if (ok) ok = isfinite(g).astype("float32").min().item() === 1;
      const optimState = ok ? this.optim.update(grads, state.optimState) : state.optimState;
      return { state: { optimState, rngKey: kNext! }, loss };
    });
  }

  /** −ELBO at the current params, without a step. */
  evaluate(state: SVIState, args: A): Tensor {
    const [, kStep] = splitKey(state.rngKey, 2);
    return this.lossFn(kStep!, args)(this.optim.getParams(state.optimState) as Record<string, Tensor>);
  }

  /** Run `numSteps` steps; losses are read back every `logEvery` steps in one batch. */
  run(rngKey: Key | number, numSteps: number, args: A, opts: SVIRunOptions = {}): SVIRunResult {
    let state = opts.initState ?? this.init(rngKey, args);
    const losses = new Float64Array(numSteps);
    const every = Math.max(1, opts.logEvery ?? 100);
    let pending: Tensor[] = [];
    const flush = (upTo: number) => {
      if (pending.length === 0) return;
      const vals = scope(() => stack(pending.map((t) => t.astype("float64"))).dataSync());
      for (let j = 0; j < pending.length; j++) losses[upTo - pending.length + j] = Number(vals[j]);
      for (const t of pending) t.dispose();
      pending = [];
      opts.onProgress?.(upTo - 1, losses[upTo - 1]!);
    };
    for (let i = 0; i < numSteps; i++) {
      const r = opts.stableUpdate ? this.stableUpdate(state, args) : this.update(state, args);
      state = r.state;
      pending.push(r.loss);
      if (pending.length >= every) flush(i + 1);
    }
    flush(numSteps);
    return { params: this.getParams(state), state, losses };
  }
}
