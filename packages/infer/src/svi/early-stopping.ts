/**
 * Early stopping for SVI runs: the loss is smoothed by a moving average, and the run stops
 * when the smoothed loss has not improved by `minDelta` for `patience` steps.
 * @module
 */

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
  #sum = 0;
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
    const i = this.#count % this.window;
    if (this.#count >= this.window) this.#sum -= this.#ring[i]!;
    this.#ring[i] = loss;
    this.#sum += loss;
    this.#count++;
  }

  /** The moving average of the last `window` finite losses (NaN before any). */
  get smoothed(): number {
    const n = Math.min(this.#count, this.window);
    return n === 0 ? Number.NaN : this.#sum / n;
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
