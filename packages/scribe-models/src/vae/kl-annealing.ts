/**
 * KL annealing for VAE training (SCRIBE KL annealing: β rises linearly from 0 to 1 over
 * `klWarmupSteps`, 2000 by default). β is a function of the optimizer's step count, which
 * lives in the optimizer state: checkpoints save it, so a resumed run anneals exactly as an
 * uninterrupted one. The SVI loop is used as is: {@link AnnealedOptimizer} wraps the
 * optimizer and, when SVI asks it for the params of the state a step starts from (just
 * before the loss is traced), records that state's step in the {@link KlAnnealing} clock the
 * model and guide read β from. β enters the trace as core's `hostScalar`, so SVI's compiled
 * step takes it as an input read afresh at every replay (the recorded program does not change
 * with β); with a rule optimizer ({@link annealOptimizer}) the update is compiled too.
 * @module
 */
import { hostScalar, type Tensor } from "@scribe/core";
import {
  type Optimizer,
  type OptimizerState,
  RuleOptimizer,
  type TensorRecord,
  type UpdateOptions,
} from "@scribe/infer";

/**
 * The KL weight of the step being traced: β = min(1, (step + 1) / warmupSteps), so the
 * first step already has a small positive weight (a zero scale is not a valid site scale)
 * and step `warmupSteps − 1` has β = 1. With `warmupSteps = 0`, β = 1 throughout.
 * @example
 * const clock = new KlAnnealing(4);
 * clock.step = 1;
 * clock.beta; // 0.5
 */
export class KlAnnealing {
  /** Updates done before the step being traced (set by {@link AnnealedOptimizer}). */
  step = 0;
  constructor(readonly warmupSteps: number) {
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0)
      throw new Error(`KlAnnealing: warmupSteps must be a non-negative integer, got ${warmupSteps}`);
  }
  /** β at the current step. */
  get beta(): number {
    return this.warmupSteps === 0 ? 1 : Math.min(1, (this.step + 1) / this.warmupSteps);
  }
  /**
   * β as a scalar tensor (a tensor, not a literal, so the traced expressions do not change with
   * β), a host input of a compiled step (read from this clock at every replay).
   */
  betaTensor(): Tensor {
    return hostScalar(() => this.beta);
  }
}

/**
 * `inner` reporting each state's step count to `clock`: an {@link AnnealedRuleOptimizer} when
 * `inner` is a rule optimizer (the built-in ones: SVI's compiled step then includes the
 * update), else an {@link AnnealedOptimizer}.
 */
export function annealOptimizer(inner: Optimizer, clock: KlAnnealing): Optimizer {
  return inner instanceof RuleOptimizer
    ? new AnnealedRuleOptimizer(inner, clock)
    : new AnnealedOptimizer(inner, clock);
}

/** A rule optimizer that reports each state's step count to a {@link KlAnnealing} clock; otherwise `inner`'s rule. */
export class AnnealedRuleOptimizer extends RuleOptimizer {
  constructor(
    inner: RuleOptimizer,
    readonly clock: KlAnnealing,
  ) {
    super(inner.name, inner.rule, inner.transformGrads);
  }
  /** The params of `state`; records `state.step` as the clock's step (SVI calls this right before tracing a step's loss). */
  override getParams(state: OptimizerState): TensorRecord {
    this.clock.step = state.step;
    return super.getParams(state);
  }
}

/** An optimizer that reports each state's step count to a {@link KlAnnealing} clock; otherwise `inner` unchanged. */
export class AnnealedOptimizer implements Optimizer {
  readonly name: string;
  constructor(
    readonly inner: Optimizer,
    readonly clock: KlAnnealing,
  ) {
    this.name = inner.name;
  }
  init(params: TensorRecord): OptimizerState {
    return this.inner.init(params);
  }
  update(grads: TensorRecord, state: OptimizerState, opts?: UpdateOptions): OptimizerState {
    return this.inner.update(grads, state, opts);
  }
  /** The params of `state`; records `state.step` as the clock's step (SVI calls this right before tracing a step's loss). */
  getParams(state: OptimizerState): TensorRecord {
    this.clock.step = state.step;
    return this.inner.getParams(state);
  }
  dispose(state: OptimizerState): void {
    this.inner.dispose(state);
  }
}
