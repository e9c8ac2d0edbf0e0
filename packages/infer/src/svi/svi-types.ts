/**
 * The data of an SVI run: its state, its history (what a resumed run continues), the
 * options of the one training loop (`SVI.run`) and what it returns.
 * @module
 */
import type { Key, Tensor } from "@scribe/core";
import type { OptimizerState } from "../optim/optimizer.js";
import type { EarlyStoppingOptions, EarlyStoppingRecord } from "./early-stopping.js";

/** SVI's state: the optimizer state (unconstrained params) and the next random key. */
export interface SVIState {
  readonly optimState: OptimizerState;
  readonly rngKey: Key;
}

/** What a run carries besides its state, so that a resumed run goes on exactly. */
export interface SVIRunHistory {
  /** The loss of every step so far, one entry per step (non-finite ones included). */
  losses: Float64Array;
  /** Steps whose loss, gradient or update was not finite (skipped under stable updates). */
  skippedSteps: number;
  /** Early stopping's record so far. */
  earlyStopping?: EarlyStoppingRecord;
  /** Early stopping's best params (unconstrained, kept), when `restoreBest` keeps them. */
  bestParams?: Record<string, Tensor>;
}

/** A run at one moment: its state and its history (what a checkpoint holds). */
export interface SVISnapshot extends SVIRunHistory {
  readonly state: SVIState;
}

/** How `run` saves checkpoints (see `checkpointEvery` in `svi/checkpoint-node.ts`). */
export interface SVICheckpointOptions {
  /** Save every this many steps of the run (and at its end, when interrupted, or when it fails). */
  every: number;
  /**
   * Receives the run's snapshot after `stepsDone` steps (counting a resumed run's earlier
   * steps); must not dispose its tensors. May return a promise, which the loop awaits.
   */
  save: (snapshot: SVISnapshot, stepsDone: number) => void | Promise<void>;
}

/** What `onProgress` receives at each progress update. */
export interface SVIProgress {
  /** Steps done, counting a resumed run's earlier steps. */
  stepsDone: number;
  /** Steps the run will have done when it ends (earlier steps + `numSteps`). */
  totalSteps: number;
  /** The loss of the latest step. */
  loss: number;
  /** The moving average of the finite losses (early stopping's window, or the last update's steps). */
  smoothedLoss: number;
  /** Non-finite steps so far (skipped under stable updates). */
  skippedSteps: number;
}

/** Options of `SVI.run`. */
export interface SVIRunOptions {
  /**
   * Leave the params and optimizer slots unchanged on steps whose loss, gradients or
   * updated params are not finite (NumPyro's `stable_update`). Decided on the device by a
   * deferred flag, with no readback; the step still counts (the loss history has one entry
   * per step). Default false.
   */
  stableUpdate?: boolean;
  /** Continue from this state instead of initializing (it is consumed). */
  initState?: SVIState;
  /** With `initState`: the history of the run it continues (losses, skipped steps, early stopping). */
  history?: SVIRunHistory;
  /** Initial constrained values of some params (ignored with `initState`). */
  initParams?: Record<string, Tensor>;
  /** Called at each progress update (every `logEvery` steps and at the end). */
  onProgress?: (progress: SVIProgress) => void;
  /**
   * Steps between progress updates (default 100): the losses are read back then, in one
   * batch, and `onProgress`, the progress bar and early stopping run. The loop reads back
   * at no other time (checkpoints aside).
   */
  logEvery?: number;
  /** Draw a progress bar on stderr: default when stderr is a terminal; false never. */
  progressBar?: boolean;
  /** Stop when the smoothed loss stops improving. */
  earlyStopping?: EarlyStoppingOptions;
  /** Save snapshots periodically. */
  checkpoint?: SVICheckpointOptions;
  /**
   * Stops the run at the next step boundary when aborted: the losses so far are read, a
   * checkpoint is saved (with `checkpoint`), and the result has `interrupted: true`.
   */
  signal?: AbortSignal;
  /**
   * Stop with an `SVINonFiniteError` after this many consecutive non-finite steps (default
   * 100), saving a checkpoint first (of the last finite state under `stableUpdate`).
   */
  maxNonFiniteSteps?: number;
}

/** Result of `SVI.run`. */
export interface SVIRunResult {
  /** Constrained params at the end (the best ones when early stopping restored them). */
  params: Record<string, Tensor>;
  /** The final state (pass it back as `initState` to continue). */
  state: SVIState;
  /** The loss at every step, one entry per step (a resumed run's earlier steps first). */
  losses: Float64Array;
  /** Steps done, counting a resumed run's earlier steps. */
  stepsDone: number;
  /** Non-finite steps (skipped under stable updates), counting earlier runs. */
  skippedSteps: number;
  /** Whether `signal` stopped the run. */
  interrupted: boolean;
  /** Whether early stopping ended the run before `numSteps`. */
  stoppedEarly?: boolean;
  /** With early stopping: steps done when the best smoothed loss was seen, and that loss. */
  bestStep?: number;
  bestLoss?: number;
}
