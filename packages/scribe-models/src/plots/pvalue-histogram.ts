/**
 * Histogram of a DE table's raw p-values on [0, 1] with the uniform level expected when no
 * gene changes: a flat histogram with a peak near 0 is a healthy test; a hump or a slope
 * elsewhere points at a mis-specified dispersion or design.
 * @module
 */
import type { DeTable } from "../de/tests.js";
import type { PlotOptions, PlotSpec } from "./spec.js";
import { plotSpec } from "./spec.js";

/** Options of {@link pvalueHistogram}. */
export interface PvalueHistogramOptions extends PlotOptions {
  /** Number of equal bins on [0, 1] (default 20). */
  bins?: number;
}

/** Counts of `p` (NaN skipped) in `bins` equal bins on [0, 1]; p = 1 falls in the last bin. */
export function pvalueBinCounts(p: ArrayLike<number>, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  for (let i = 0; i < p.length; i++) {
    const v = Number(p[i]);
    if (Number.isNaN(v)) continue;
    if (v < 0 || v > 1) throw new Error(`pvalueHistogram: p-value ${v} at row ${i} is outside [0, 1]`);
    out[Math.min(bins - 1, Math.floor(v * bins))]!++;
  }
  return out;
}

/** The p-value histogram of an NB-GLM or method-of-moments table. */
export function pvalueHistogram(table: Pick<DeTable, "pval">, opts: PvalueHistogramOptions = {}): PlotSpec {
  if (!("pval" in table) || !table.pval)
    throw new Error(
      "pvalueHistogram: the table has no pval column (a Bayesian DE table has lfsr instead; use volcanoPlot)",
    );
  const bins = opts.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 2)
    throw new Error(`pvalueHistogram: bins must be an integer ≥ 2, got ${bins}`);
  const counts = pvalueBinCounts(table.pval, bins);
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) throw new Error("pvalueHistogram: no finite p-values");
  const values = counts.map((c, b) => ({ lo: b / bins, hi: (b + 1) / bins, genes: c }));
  return plotSpec(
    {
      width: opts.width ?? 400,
      height: opts.height ?? 260,
      layer: [
        {
          data: { values },
          mark: { type: "bar", color: opts.colors?.[0] ?? "#4c78a8", stroke: "white", strokeWidth: 0.5 },
          encoding: {
            x: {
              field: "lo",
              type: "quantitative",
              bin: { binned: true, step: 1 / bins },
              title: "p-value",
              scale: { domain: [0, 1] },
            },
            x2: { field: "hi" },
            y: { field: "genes", type: "quantitative", title: "genes", scale: { zero: true } },
          },
        },
        {
          data: { values: [{ expected: n / bins }] },
          mark: { type: "rule", strokeDash: [5, 4], color: "#d62728" },
          encoding: { y: { field: "expected", type: "quantitative" } },
        },
      ],
    },
    opts.title ?? `p-value histogram (${n} genes; dashed: uniform)`,
  );
}
