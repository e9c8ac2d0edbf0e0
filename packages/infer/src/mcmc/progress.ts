/**
 * Progress reporting for MCMC runs: a user callback and, when stderr is a terminal, a
 * one-line progress bar (no `node:` imports, so this file also loads in browsers).
 * @module
 */
import { stderrTty, type Tty } from "../util/terminal.js";
import type { StepRecord } from "./chain.js";

/** What a progress callback receives. */
export interface ProgressInfo {
  /** Chain index. */
  chain: number;
  /** Iterations done in this chain (warmup included). */
  iteration: number;
  /** Iterations this chain will run. */
  total: number;
  /** "warmup" or "sample". */
  phase: "warmup" | "sample";
  /** The last iteration's record. */
  last: StepRecord;
  /** Divergent transitions so far in this chain. */
  divergences: number;
}

/** Called with progress; return nothing. */
export type ProgressCallback = (p: ProgressInfo) => void;

/** Throttled progress: calls the callback every `every` iterations and redraws the bar about 100 times per chain. */
export class ProgressReporter {
  readonly #cb?: ProgressCallback;
  readonly #every: number;
  readonly #tty?: Tty;
  readonly #divergences: number[];

  /**
   * @param total - iterations per chain
   * @param numWarmup - warmup iterations per chain
   * @param numChains - chains
   * @param opts - callback, its period, and whether to draw a bar (default: when stderr is a TTY)
   */
  constructor(
    readonly total: number,
    readonly numWarmup: number,
    numChains: number,
    opts: { callback?: ProgressCallback; every?: number; bar?: boolean },
  ) {
    this.#cb = opts.callback;
    this.#every = Math.max(1, opts.every ?? 1);
    this.#tty = opts.bar === false ? undefined : stderrTty();
    this.#divergences = new Array<number>(numChains).fill(0);
  }

  /** Report that `chain` finished iteration `it` (0-based). */
  update(chain: number, it: number, rec: StepRecord): void {
    if (rec.diverging && it >= this.numWarmup) this.#divergences[chain]!++;
    const done = it + 1;
    const phase = it < this.numWarmup ? "warmup" : "sample";
    if (this.#cb && (done % this.#every === 0 || done === this.total))
      this.#cb({
        chain,
        iteration: done,
        total: this.total,
        phase,
        last: rec,
        divergences: this.#divergences[chain]!,
      });
    const step = Math.max(1, Math.floor(this.total / 100));
    if (this.#tty && (done % step === 0 || done === this.total)) {
      const width = 30;
      const fill = Math.round((width * done) / this.total);
      const bar = `${"#".repeat(fill)}${"-".repeat(width - fill)}`;
      const line = `chain ${chain} ${phase} [${bar}] ${done}/${this.total} step ${rec.stepSize.toExponential(2)} depth ${rec.treeDepth} acc ${rec.acceptProb.toFixed(2)} div ${this.#divergences[chain]}`;
      this.#tty.write(`\r${line.slice(0, (this.#tty.columns ?? 120) - 1)}`);
      if (done === this.total) this.#tty.write("\n");
    }
  }
}
