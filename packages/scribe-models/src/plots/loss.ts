/**
 * Loss history of an SVI fit: the loss (−ELBO) per step on a log axis (symlog when some
 * losses are ≤ 0) with a trailing moving average over it, long histories thinned to a
 * fixed number of points for drawing.
 * @module
 */
import { type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link lossPlot}. */
export interface LossPlotOptions extends PlotOptions {
  /** Moving-average window in steps (default: 5 % of the steps, between 1 and 500). */
  window?: number;
  /** Most points drawn per curve (default 2000; longer histories are thinned evenly). */
  maxPoints?: number;
}

/** Trailing moving average: out[i] = mean of x[max(0, i − w + 1) .. i]. */
export function movingAverage(x: ArrayLike<number>, window: number): Float64Array {
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i]!;
    if (i >= window) sum -= x[i - window]!;
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}

/** Steps drawn when thinning `n` steps to at most `max` points (always the first and the last). */
export function thinnedSteps(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let j = 0; j < max; j++) out.push(Math.round((j * (n - 1)) / (max - 1)));
  return out;
}

/**
 * The loss history plot (`results.lossHistory`, or any array of per-step losses).
 * @example
 * ```ts
 * const spec = lossPlot(results.lossHistory, { window: 50 });
 * ```
 */
export function lossPlot(lossHistory: ArrayLike<number>, opts: LossPlotOptions = {}): PlotSpec {
  const n = lossHistory.length;
  if (n === 0)
    throw new Error("lossPlot: the loss history is empty (was the model fitted by SVI with nSteps > 0?)");
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(lossHistory[i]!))
      throw new Error(`lossPlot: loss at step ${i + 1} is ${lossHistory[i]}; the fit diverged there`);
  const window = opts.window ?? Math.min(500, Math.max(1, Math.round(n / 20)));
  if (!Number.isInteger(window) || window < 1)
    throw new Error(`lossPlot: window must be a positive integer, got ${window}`);
  const smooth = movingAverage(lossHistory, window);
  const steps = thinnedSteps(n, opts.maxPoints ?? 2000);
  const smoothName = `moving average (${window} steps)`;
  const values: { step: number; loss: number; curve: string }[] = [];
  for (const i of steps) values.push({ step: i + 1, loss: lossHistory[i]!, curve: "loss" });
  for (const i of steps) values.push({ step: i + 1, loss: smooth[i]!, curve: smoothName });
  let positive = true;
  for (let i = 0; i < n; i++) if (lossHistory[i]! <= 0) positive = false;
  const colors = opts.colors ?? ["#9ecae9", "#1f4e79"];
  return plotSpec(
    {
      width: opts.width ?? 480,
      height: opts.height ?? 280,
      data: { values },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step" },
        y: {
          field: "loss",
          type: "quantitative",
          title: positive ? "loss (−ELBO, log scale)" : "loss (−ELBO, symlog scale)",
          scale: { type: positive ? "log" : "symlog", nice: false },
          axis: { format: "~s" },
        },
        color: {
          field: "curve",
          type: "nominal",
          title: null,
          scale: { domain: ["loss", smoothName], range: [...colors] },
          legend: { orient: "top-right", labelLimit: 320 },
        },
      },
      layer: [
        {
          transform: [{ filter: { field: "curve", equal: "loss" } }],
          mark: { type: "line", clip: true, strokeWidth: 1 },
        },
        {
          transform: [{ filter: { field: "curve", equal: smoothName } }],
          mark: { type: "line", clip: true, strokeWidth: 2.5 },
        },
      ],
    },
    opts.title ?? `Loss history (${n} steps, final ${lossHistory[n - 1]!.toPrecision(6)})`,
  );
}
