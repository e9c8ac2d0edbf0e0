/**
 * Capture probability (SCRIBE variable-capture models): the distribution of the
 * cells' MAP capture probabilities, and, given the counts, capture against library size
 * (total UMIs), which the capture should follow.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { ScribeResults } from "../results/results.js";
import { readCounts } from "./predictive-data.js";
import { type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link capturePlot}. */
export interface CapturePlotOptions extends PlotOptions {
  /** Histogram bins (default 30). */
  bins?: number;
}

/** Per-cell MAP capture probabilities (an error naming the model when it has none). */
export async function captureProbabilities(results: ScribeResults): Promise<Float64Array> {
  const map: Record<string, Tensor> = await results.getMap();
  const pc = map.p_capture;
  if (!pc)
    throw new Error(
      `capturePlot: model ${results.modelType} has no per-cell capture probability (fit nbvcp, zinbvcp or twostatevcp)`,
    );
  return Float64Array.from(await pc.data());
}

/** The capture-probability plot; with `counts` [cells, genes] adds capture against library size. */
export async function capturePlot(
  results: ScribeResults,
  counts?: Tensor,
  opts: CapturePlotOptions = {},
): Promise<PlotSpec> {
  const pc = await captureProbabilities(results);
  const C = pc.length;
  const bins = opts.bins ?? 30;
  const color = opts.colors?.[0] ?? "#4c78a8";
  const hist = {
    width: opts.width ?? 300,
    height: opts.height ?? 240,
    data: { values: Array.from(pc, (p) => ({ p })) },
    mark: { type: "bar", color },
    encoding: {
      x: { field: "p", type: "quantitative", bin: { maxbins: bins }, title: "capture probability (MAP)" },
      y: { aggregate: "count", type: "quantitative", title: "cells" },
    },
  };
  if (!counts) return plotSpec(hist, opts.title ?? `Capture probability (${C} cells)`);
  const x = await readCounts(results, counts, "capturePlot");
  const G = results.nGenes;
  const values = Array.from(pc, (p, c) => {
    let total = 0;
    for (let g = 0; g < G; g++) total += x[c * G + g]!;
    return { cell: results.obsNames[c]!, library: total, p };
  }).filter((v) => v.library > 0);
  const scatter = {
    width: opts.width ?? 300,
    height: opts.height ?? 240,
    data: { values },
    mark: { type: "point", filled: true, size: 14, opacity: 0.6, color },
    encoding: {
      x: {
        field: "library",
        type: "quantitative",
        title: "library size (total counts)",
        scale: { type: "log", nice: false },
      },
      y: { field: "p", type: "quantitative", title: "capture probability (MAP)" },
      tooltip: [{ field: "cell" }],
    },
  };
  return plotSpec({ hconcat: [hist, scatter] }, opts.title ?? `Capture probability (${C} cells)`);
}
