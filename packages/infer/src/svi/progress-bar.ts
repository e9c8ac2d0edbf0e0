/**
 * A one-line SVI progress bar on stderr when it is a terminal (step, smoothed loss, it/s,
 * ETA). No `node:` imports: in a browser there is no `process.stderr` and nothing is drawn.
 * @module
 */
import { stderrTty, type Tty } from "../util/terminal.js";

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

/** `h:mm:ss` or `m:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Options of {@link SVIProgressBar}. */
export interface ProgressBarOptions {
  /** Draw even if stderr is not a terminal (tests), or never (false). Default: when stderr is a TTY. */
  enabled?: boolean;
  /** Where to draw (default `process.stderr`). */
  stream?: Tty;
}

/**
 * Draws `svi [####----] 1200/5000 loss 1.234e+3 850 it/s ETA 0:04` in place (with
 * `skipped N` after the loss once a non-finite step was skipped).
 * @example
 * const bar = new SVIProgressBar(1000, { enabled: false });
 * bar.update(500, 1.5); bar.done();
 */
export class SVIProgressBar {
  readonly #tty?: Tty;
  readonly #t0 = now();
  #lastDraw = -Infinity;

  constructor(
    readonly total: number,
    opts: ProgressBarOptions = {},
  ) {
    if (opts.enabled === false) return;
    const s = opts.stream ?? stderrTty();
    if (s && (opts.enabled || s.isTTY)) this.#tty = s;
  }

  /** Whether anything is drawn. */
  get active(): boolean {
    return this.#tty !== undefined;
  }

  /** The text of the bar after `done` steps at `loss` (exposed for tests). */
  line(done: number, loss: number, elapsedS: number, skipped = 0): string {
    const width = 24;
    const fill = Math.min(width, Math.round((width * done) / Math.max(1, this.total)));
    const rate = elapsedS > 0 ? done / elapsedS : 0;
    const eta = rate > 0 ? (this.total - done) / rate : Number.NaN;
    const l = Number.isFinite(loss) ? loss.toExponential(4) : String(loss);
    const skip = skipped > 0 ? ` skipped ${skipped}` : "";
    return `svi [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${done}/${this.total} loss ${l}${skip} ${rate.toFixed(rate < 10 ? 2 : 0)} it/s ETA ${formatDuration(eta)}`;
  }

  /** Redraw after `done` steps (throttled to about 10 redraws per second). */
  update(done: number, loss: number, skipped = 0): void {
    if (!this.#tty) return;
    const t = now();
    if (t - this.#lastDraw < 100 && done < this.total) return;
    this.#lastDraw = t;
    const text = this.line(done, loss, (t - this.#t0) / 1000, skipped);
    this.#tty.write(`\r${text.slice(0, (this.#tty.columns ?? 120) - 1)}`);
  }

  /** Finish the line. */
  done(): void {
    this.#tty?.write("\n");
  }
}
