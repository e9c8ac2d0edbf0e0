/**
 * Stochastic variational inference: holds a model, a guide, an optimizer and an ELBO loss.
 * Params live in the optimizer state unconstrained; `getParams` maps them back through
 * the installed param transform (`bijectTo` of each param's constraint).
 * @module
 */
import {
  type ConstraintLike,
  dispose,
  type Key,
  keep,
  key as makeKey,
  scope,
  splitKey,
  type Tensor,
  valueAndGrad,
  where,
} from "@scribe/core";
import { type Optimizer, type OptimizerState, RuleOptimizer } from "../optim/optimizer.js";
import { constrainParams, paramSites, runTrace, unconstrainParams } from "../util/sites.js";
import { CompiledLossAndGrad, compiledSVIStepsByDefault } from "./compiled-step.js";
import { type ELBOLoss, type ModelFn, TraceELBO, TraceMeanFieldELBO } from "./elbo.js";
import { stepStatus } from "./non-finite.js";
import { runSVILoop } from "./svi-loop.js";
import type { SVIRunOptions, SVIRunResult, SVIState } from "./svi-types.js";

/** An object usable as a guide (the autoguides): its `call` runs the guide. */
export interface GuideLike<A extends unknown[]> {
  call(...args: A): unknown;
}

/** Options of {@link SVI}. */
export interface SVIOptions {
  /**
   * On the cpu, record one step's loss and gradient (model and guide traces, ELBO, backward
   * pass, the guide's draws) and replay it on later steps, bit for bit the eager results
   * (core's `jitKeyed`; see `svi/compiled-step.ts` for when it falls back), with the optimizer's
   * update when the optimizer is a `RuleOptimizer` (the built-in ones). Default true; false
   * runs every step eagerly (`setCompiledSVISteps` changes the default).
   */
  compileStep?: boolean;
}

/** One step's outputs, all on the device: the new state, the loss before it, and (stable updates) its status code. */
export interface SVIStepResult {
  state: SVIState;
  loss: Tensor;
  /** 0 when the step was finite; see `svi/non-finite.ts` for the other codes. Only from `stableUpdate`. */
  status?: Tensor;
}

/**
 * SVI(model, guide, optimizer, loss). `init`, `update` and `stableUpdate` only enqueue work on
 * the device (they never read back); `run` is the one training loop (progress, early
 * stopping, checkpoints, resume, interrupt, non-finite steps), reading the losses back in
 * batches.
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
 * const { params, losses } = await svi.run(key(0), 100, [y]); // losses: the −ELBO at each step
 * [params.loc!.item(), params.scale!.item()]; // ≈ [1.0, 0.44]; the exact posterior is N(1.08, 0.45²)
 */
export class SVI<A extends unknown[]> {
  private constraints = new Map<string, ConstraintLike | null>();
  private initialized = false;

  /** The guide as a plain function. */
  readonly guide: ModelFn<A>;
  /** The compiled loss and gradient (null with `compileStep: false`). */
  readonly #compiled: CompiledLossAndGrad | null;

  constructor(
    readonly model: ModelFn<A>,
    guide: ModelFn<A> | GuideLike<A>,
    readonly optim: Optimizer,
    readonly loss: ELBOLoss,
    opts: SVIOptions = {},
  ) {
    this.guide = typeof guide === "function" ? guide : (...args: A) => guide.call(...args);
    this.#compiled = !(opts.compileStep ?? compiledSVIStepsByDefault())
      ? null
      : new CompiledLossAndGrad(
          (k, args) => valueAndGrad(this.lossFn(k, args as A)),
          loss instanceof TraceELBO || loss instanceof TraceMeanFieldELBO
            ? null
            : `the loss is a ${loss.constructor.name} (only TraceELBO and TraceMeanFieldELBO steps are compiled)`,
          optim instanceof RuleOptimizer ? optim : null,
        );
  }

  /**
   * Whether the step's loss and gradient run compiled: "off" (`compileStep: false`), "recording"
   * (the first steps), "compiled", or "eager" with the reason (for tests and debugging; set
   * `SCRIBE_DEBUG_SVI_COMPILE=1` to have the reason printed when it happens).
   */
  get compiledStep(): {
    state: "off" | "recording" | "compiled" | "eager";
    refusal: string | null;
    replays: number;
    /** Whether the optimizer's update is part of the compiled program. */
    withUpdate: boolean;
  } {
    return this.#compiled?.status ?? { state: "off", refusal: null, replays: 0, withUpdate: false };
  }

  /**
   * Free the compiled step's buffers (`run` does at its end; a loop of `update` calls holds them
   * until this is called). The next step records again.
   */
  releaseCompiledStep(): void {
    this.#compiled?.dispose();
  }

  /** The loss and gradients at unconstrained params `u` for step key `k`: compiled, or eager. */
  private lossAndGrads(k: Key, args: A, u: Record<string, Tensor>): [Tensor, Record<string, Tensor>] {
    if (this.#compiled) return this.#compiled.run(k, args, u);
    const [loss, grads] = valueAndGrad(this.lossFn(k, args))(u);
    return [loss, grads];
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
      const compiled = this.#compiled?.runUpdate(kStep!, args, state.optimState, false);
      if (compiled) {
        const optimState = this.#compiled!.optim!.advance(state.optimState, compiled.next);
        return { state: { optimState, rngKey: kNext! }, loss: compiled.loss };
      }
      const [loss, grads] = this.lossAndGrads(
        kStep!,
        args,
        this.optim.getParams(state.optimState) as Record<string, Tensor>,
      );
      const optimState = this.optim.update(grads, state.optimState);
      return { state: { optimState, rngKey: kNext! }, loss };
    });
  }

  /**
   * Like `update`, but leaves the params and optimizer slots unchanged when the loss, a
   * gradient or an updated param is not finite. The decision is a flag on the device
   * (`status`, 0 when finite), selected with `where`: nothing is read back. The optimizer's
   * step count advances either way.
   */
  stableUpdate(state: SVIState, args: A): Required<SVIStepResult> {
    if (!this.initialized) this.learnConstraints(args);
    const [kNext, kStep] = splitKey(state.rngKey, 2);
    const old = state.optimState;
    const out = scope(() => {
      const compiled = this.#compiled?.runUpdate(kStep!, args, old, true);
      let loss: Tensor;
      let grads: Record<string, Tensor>;
      let next: OptimizerState;
      if (compiled) {
        loss = compiled.loss;
        grads = compiled.grads!;
        next = this.#compiled!.optim!.advance(old, compiled.next, { keepOld: true });
      } else {
        [loss, grads] = this.lossAndGrads(kStep!, args, this.optim.getParams(old) as Record<string, Tensor>);
        next = this.optim.update(grads, old, { keepOld: true });
      }
      const status = stepStatus(loss, Object.keys(old.params), grads, next.params);
      const ok = status.eq(0);
      const pick = (a: Tensor, b: Tensor | undefined) => keep(b ? where(ok, a, b) : a);
      const params: Record<string, Tensor> = {};
      const slots: Record<string, Record<string, Tensor>> = {};
      for (const [k, p] of Object.entries(next.params)) params[k] = pick(p, old.params[k]);
      for (const [k, sl] of Object.entries(next.slots)) {
        slots[k] = {};
        for (const [n, t] of Object.entries(sl)) slots[k]![n] = pick(t, old.slots[k]?.[n]);
      }
      const optimState: OptimizerState = { step: next.step, params, slots };
      return { optimState, loss, status, superseded: next };
    });
    // The selections were computed when the scope returned; both inputs can go now.
    const live = new Set(tensorsOf(out.optimState));
    dispose([...new Set([...tensorsOf(old), ...tensorsOf(out.superseded)])].filter((t) => !live.has(t)));
    return { state: { optimState: out.optimState, rngKey: kNext! }, loss: out.loss, status: out.status };
  }

  /** −ELBO at the current params, without a step. */
  evaluate(state: SVIState, args: A): Tensor {
    if (!this.initialized) this.learnConstraints(args);
    const [, kStep] = splitKey(state.rngKey, 2);
    return this.lossFn(kStep!, args)(this.optim.getParams(state.optimState) as Record<string, Tensor>);
  }

  /**
   * Run `numSteps` steps: the one training loop (see `svi/svi-loop.ts`). The losses are read
   * back every `logEvery` steps in one batch; nothing else reads. With `initState` (and
   * `history`) the run continues that state exactly: the same keys, the same optimizer step,
   * so an interrupted and resumed run is bit-identical to an uninterrupted one.
   */
  run(rngKey: Key | number, numSteps: number, args: A, opts: SVIRunOptions = {}): Promise<SVIRunResult> {
    if (opts.initState && !this.initialized) this.learnConstraints(args);
    return runSVILoop(this, rngKey, numSteps, args, opts);
  }

  /** The key the next step from `state` uses in its loss (for replays of a failing step). @internal */
  stepKey(state: SVIState): Key {
    return splitKey(state.rngKey, 2)[1]!;
  }
}

function tensorsOf(s: OptimizerState): Tensor[] {
  const out: Tensor[] = [...Object.values(s.params)];
  for (const sl of Object.values(s.slots)) out.push(...Object.values(sl));
  return out;
}
