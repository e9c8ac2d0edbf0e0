/**
 * The functional optimizer interface and the engine behind every optimizer here:
 * `init(params) → state`, `update(grads, state) → state`, `getParams(state)`. States hold
 * kept tensors (they outlive `scope()` calls); `update` disposes the tensors of the state
 * it supersedes, so a long training loop keeps `liveBuffers()` flat. Treat a state as
 * consumed once passed to `update`.
 * @module
 */
import { dispose, keep, scope, type Tensor, type TensorLike } from "@scribe/core";

/** Params or gradients: a record of tensors. */
export type TensorRecord = Readonly<Record<string, Tensor>>;

/** A constant learning rate, or a schedule of the step index (0 for the first update). */
export type LearningRate = number | ((step: number) => number);

/** An optimizer's state: the step count, the current params and per-param slots (m, v, ...). */
export interface OptimizerState {
  /** Number of updates applied so far. */
  readonly step: number;
  /** Current parameter values. */
  readonly params: TensorRecord;
  /** Per-parameter optimizer slots, by parameter name then slot name. */
  readonly slots: Readonly<Record<string, TensorRecord>>;
}

/** Options of {@link Optimizer.update}. */
export interface UpdateOptions {
  /** Keep the superseded state alive (default false: its tensors are disposed). */
  keepOld?: boolean;
}

/** A functional optimizer over records of tensors. */
export interface Optimizer {
  /** A short name, e.g. "adam". */
  readonly name: string;
  /** A state holding copies of `params` (the caller's tensors are left alone). */
  init(params: TensorRecord): OptimizerState;
  /** One step; by default disposes `state`'s tensors (those not carried into the result). */
  update(grads: TensorRecord, state: OptimizerState, opts?: UpdateOptions): OptimizerState;
  /** The params of a state. */
  getParams(state: OptimizerState): TensorRecord;
  /** Free a state's tensors. */
  dispose(state: OptimizerState): void;
}

/** The per-parameter rule an optimizer is made of. */
export interface LeafRule {
  /** Initial slots for a param. */
  init(p: Tensor): Record<string, Tensor>;
  /**
   * The host numbers update number `step` (0-based) reads (the learning rate, bias
   * corrections), computed in float64. They are separate from `update` so that a compiled SVI
   * step can pass them in as float64 scalar tensors, making them inputs of its recorded program
   * instead of constants that change every step; the arithmetic is the same either way (a cpu
   * loop computes in float64 and rounds where it stores), so the results are the same bits.
   */
  stepValues(step: number): number[];
  /** New param and slots from the gradient, given the step's `values` (numbers or scalar tensors). */
  update(
    values: readonly TensorLike[],
    g: Tensor,
    p: Tensor,
    slots: TensorRecord,
  ): { param: Tensor; slots: Record<string, Tensor> };
}

/** New params and slots of one update (not yet kept). */
export interface RuleStep {
  params: Record<string, Tensor>;
  slots: Record<string, Record<string, Tensor>>;
}

/** Resolve a learning rate at a step; a schedule that yields a non-finite rate is an error. */
export function learningRateAt(lr: LearningRate, step: number): number {
  if (typeof lr === "number") return lr;
  const rate = lr(step);
  if (!Number.isFinite(rate))
    throw new Error(
      `learning-rate schedule returned ${rate} at step ${step}; it must return a finite number`,
    );
  return rate;
}

/**
 * Check an optimizer's learning-rate argument when the optimizer is built, so a call such as
 * `adam({ lr: 0.01 })` (PyTorch's spelling) fails there with a message instead of at the
 * first update with "lr is not a function".
 */
export function checkLearningRate(optimizer: string, lr: unknown): LearningRate {
  if (typeof lr === "function") return lr as LearningRate;
  if (typeof lr === "number" && Number.isFinite(lr) && lr > 0) return lr;
  const shown = typeof lr === "object" && lr !== null ? JSON.stringify(lr) : String(lr);
  throw new Error(
    `${optimizer}: the learning rate must be a positive finite number or a schedule (step) => number, ` +
      `got ${shown}; write ${optimizer}(0.01), as NumPyro's optim.${optimizer[0]!.toUpperCase()}${optimizer.slice(1)}(step_size)`,
  );
}

function tensorsOf(s: OptimizerState): Tensor[] {
  const out: Tensor[] = [...Object.values(s.params)];
  for (const sl of Object.values(s.slots)) out.push(...Object.values(sl));
  return out;
}

function keepAll(s: OptimizerState): OptimizerState {
  for (const t of tensorsOf(s)) keep(t);
  return s;
}

/**
 * An optimizer built from a per-parameter rule; `transformGrads` (e.g. global-norm
 * clipping) runs first on the whole gradient record. The concrete optimizers extend it.
 */
export class RuleOptimizer implements Optimizer {
  constructor(
    readonly name: string,
    readonly rule: LeafRule,
    readonly transformGrads?: (grads: TensorRecord) => TensorRecord,
  ) {}

  /** A state holding copies of `params`. */
  init(params: TensorRecord): OptimizerState {
    const rule = this.rule;
    const s = scope(() => {
      const ps: Record<string, Tensor> = {};
      const slots: Record<string, Record<string, Tensor>> = {};
      for (const [k, p] of Object.entries(params)) {
        ps[k] = p.add(0);
        slots[k] = rule.init(p);
      }
      return { step: 0, params: ps, slots };
    });
    return keepAll(s);
  }

  /** One step; disposes the superseded state's tensors unless `keepOld`. */
  update(grads: TensorRecord, state: OptimizerState, opts: UpdateOptions = {}): OptimizerState {
    const values = this.rule.stepValues(state.step);
    return this.advance(
      state,
      scope(() => this.apply(values, grads, state.params, state.slots)),
      opts,
    );
  }

  /**
   * The new params and slots from `grads` with the step's `values` (`rule.stepValues` of the
   * state's step, as numbers or as float64 scalar tensors): the arithmetic of `update`, without
   * keeping or disposing anything (a compiled SVI step records it).
   */
  apply(
    values: readonly TensorLike[],
    grads: TensorRecord,
    params: TensorRecord,
    slots: Readonly<Record<string, TensorRecord>>,
  ): RuleStep {
    const { name, rule, transformGrads } = this;
    for (const k of Object.keys(params))
      if (!grads[k])
        throw new Error(
          `${name}: no gradient for param '${k}' (got gradients for: ${Object.keys(grads).join(", ")})`,
        );
    const g = transformGrads ? transformGrads(grads) : grads;
    const ps: Record<string, Tensor> = {};
    const next: Record<string, Record<string, Tensor>> = {};
    for (const [k, p] of Object.entries(params)) {
      const gk = g[k]!;
      if (gk.shape.length !== p.shape.length || gk.shape.some((d, i) => d !== p.shape[i]))
        throw new Error(
          `${name}: gradient of '${k}' has shape [${gk.shape}] but the param has shape [${p.shape}]`,
        );
      const r = rule.update(values, gk, p, slots[k]!);
      ps[k] = r.param;
      next[k] = r.slots;
    }
    return { params: ps, slots: next };
  }

  /**
   * The state after `state` with the params and slots of `next` (kept); disposes the
   * superseded state's tensors unless `keepOld`.
   */
  advance(state: OptimizerState, next: RuleStep, opts: UpdateOptions = {}): OptimizerState {
    const s = keepAll({ step: state.step + 1, params: next.params, slots: next.slots });
    if (!opts.keepOld) {
      const live = new Set(tensorsOf(s));
      dispose(tensorsOf(state).filter((t) => !live.has(t)));
    }
    return s;
  }

  /** The params of a state. */
  getParams(state: OptimizerState): TensorRecord {
    return state.params;
  }

  /** Free a state's tensors. */
  dispose(state: OptimizerState): void {
    dispose(tensorsOf(state));
  }
}
