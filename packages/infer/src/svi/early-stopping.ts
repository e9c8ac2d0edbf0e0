/**
 * Early stopping for SVI runs: the loss is smoothed by a moving average, and the run stops
 * when the smoothed loss has not improved by `minDelta` for `patience` steps.
 *
 * One set of options for `SVI.run` and SCRIBE's `fit()` (which only changes the defaults to
 * SCRIBE's: patience 500, minDelta 1, window 100, minSteps 5000). SCRIBE's own names map
 * as `smoothing_window` → `window`, `warmup` → `minSteps`; its `check_every` is the run's
 * progress period (`logEvery`), since the smoothed loss is only known when the losses are
 * read back. Semantics kept from the two former versions, the better of each: patience
 * counts steps (not checks) since the best smoothed loss, and starts only once the window
 * is full; improvements are recorded at checks, the only steps whose params can be
 * restored; non-finite losses are left out of the average.
 * @module
 */

/** Early stopping's record, saved in checkpoints so a resumed run stops where an uninterrupted one would. */
export interface EarlyStoppingRecord {
  /** Best smoothed loss so far (Infinity before the window filled). */
  bestLoss: number;
  /** Steps done when it was seen (0: none yet). */
  bestStep: number;
}

/** Options of early stopping (in `svi.run(..., { earlyStopping })`). */
export interface EarlyStoppingOptions {
  /** Steps without an improvement of the smoothed loss before stopping. */
  patience: number;
  /** Smallest decrease of the smoothed loss that counts as an improvement (default 0). */
  minDelta?: number;
  /** Width, in steps, of the moving average that smooths the loss (default 100). */
  window?: number;
  /** Put back the params of the best smoothed loss at the end (default true). */
  restoreBest?: boolean;
  /** Never stop before this many steps (default 0). */
  minSteps?: number;
}

/**
 * Tracks the smoothed loss. `observe` gets every loss in order; `check` (called when the
 * losses are read back, every `logEvery` steps) says whether the smoothed loss at that
 * step improved and whether to stop. Improvements are only recorded at check points,
 * which are the only steps whose params can be restored.
 * @example
 * const es = new EarlyStopping({ patience: 500, window: 50 });
 */
export class EarlyStopping {
  readonly patience: number;
  readonly minDelta: number;
  readonly window: number;
  readonly restoreBest: boolean;
  readonly minSteps: number;
  #ring: Float64Array;
  #count = 0;
  /** Best smoothed loss so far. */
  bestLoss = Number.POSITIVE_INFINITY;
  /** 1-based number of steps done when the best smoothed loss was seen (0: none yet). */
  bestStep = 0;

  constructor(opts: EarlyStoppingOptions) {
    if (!(opts.patience > 0))
      throw new Error(`earlyStopping: patience must be positive, got ${opts.patience}`);
    this.patience = opts.patience;
    this.minDelta = opts.minDelta ?? 0;
    if (!(this.minDelta >= 0)) throw new Error(`earlyStopping: minDelta must be ≥ 0, got ${opts.minDelta}`);
    this.window = Math.max(1, Math.floor(opts.window ?? 100));
    this.restoreBest = opts.restoreBest ?? true;
    this.minSteps = opts.minSteps ?? 0;
    this.#ring = new Float64Array(this.window);
  }

  /** Feed the next loss. Non-finite losses are skipped (they cannot be averaged). */
  observe(loss: number): void {
    if (!Number.isFinite(loss)) return;
    this.#ring[this.#count % this.window] = loss;
    this.#count++;
  }

  /** The record to save with a checkpoint. */
  get record(): EarlyStoppingRecord {
    return { bestLoss: this.bestLoss, bestStep: this.bestStep };
  }

  /** Continue from a saved record, refilling the window from the run's loss history. */
  restore(record: EarlyStoppingRecord, losses: ArrayLike<number>): void {
    this.bestLoss = record.bestLoss;
    this.bestStep = record.bestStep;
    const tail: number[] = [];
    for (let i = losses.length - 1; i >= 0 && tail.length < this.window; i--)
      if (Number.isFinite(losses[i]!)) tail.push(losses[i]!);
    for (let i = tail.length - 1; i >= 0; i--) this.observe(tail[i]!);
  }

  /** The moving average of the last `window` finite losses (NaN before any). */
  get smoothed(): number {
    const n = Math.min(this.#count, this.window);
    if (n === 0) return Number.NaN;
    // Summed afresh in step order (not a running sum), so a run restored from its loss
    // history gets the same bits as the uninterrupted one.
    const start = this.#count > this.window ? this.#count % this.window : 0;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += this.#ring[(start + j) % this.window]!;
    return sum / n;
  }

  /** At `stepsDone` steps: did the smoothed loss improve, and should the run stop? */
  check(stepsDone: number): { improved: boolean; stop: boolean } {
    const s = this.smoothed;
    const full = this.#count >= this.window;
    let improved = false;
    if (full && s < this.bestLoss - this.minDelta) {
      this.bestLoss = s;
      this.bestStep = stepsDone;
      improved = true;
    }
    const since = stepsDone - Math.max(this.bestStep, this.window);
    return { improved, stop: stepsDone >= this.minSteps && since >= this.patience };
  }
}
