/**
 * Mean calibration: each gene's observed mean count against its posterior predictive mean,
 * on log–log axes with the identity line. A model that reproduces expression levels puts
 * the genes on the line; capture or zero-inflation misfit shows as a bend at low means.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { ScribeResults } from "../results/results.js";
import { geneMeans, readCounts } from "./predictive-data.js";
import { type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link meanCalibrationPlot}. */
export interface MeanCalibrationOptions extends PlotOptions {
  /** Posterior predictive draws (default 20). */
  nSamples?: number;
  /** Seed (default 42). */
  seed?: number;
  /** Genes per predictive batch (default 500; bounds memory to S × C × 500). */
  geneBatch?: number;
}

/** Observed and predicted mean of every gene. */
export async function meanCalibration(
  results: ScribeResults,
  counts: Tensor,
  opts: MeanCalibrationOptions = {},
): Promise<{ observed: Float64Array; predicted: Float64Array }> {
  const C = results.nCells;
  const G = results.nGenes;
  const observed = geneMeans(await readCounts(results, counts, "meanCalibrationPlot"), C, G);
  const predicted = new Float64Array(G);
  const S = opts.nSamples ?? 20;
  const seed = opts.seed ?? 42;
  const batch = results.mcmcSamples ? G : (opts.geneBatch ?? 500);
  for (let g0 = 0; g0 < G; g0 += batch) {
    const idx = Array.from({ length: Math.min(batch, G - g0) }, (_, j) => g0 + j);
    const src = idx.length === G ? results : results.subsetGenes(idx);
    const ppc: Tensor = await src.getPpcSamples({ nSamples: S, seed: seed + g0 });
    const m: Tensor = ppc.mean([0, 1]);
    const v = await m.data();
    idx.forEach((g, j) => {
      predicted[g] = v[j]!;
    });
  }
  return { observed, predicted };
}

/** The mean-calibration plot of `results` against the observed `counts` [cells, genes]. */
export async function meanCalibrationPlot(
  results: ScribeResults,
  counts: Tensor,
  opts: MeanCalibrationOptions = {},
): Promise<PlotSpec> {
  const { observed, predicted } = await meanCalibration(results, counts, opts);
  const values: { gene: string; observed: number; predicted: number }[] = [];
  const logRatios: number[] = [];
  for (let g = 0; g < observed.length; g++) {
    if (!(observed[g]! > 0 && predicted[g]! > 0)) continue;
    values.push({ gene: results.varNames[g]!, observed: observed[g]!, predicted: predicted[g]! });
    logRatios.push(Math.abs(Math.log(predicted[g]! / observed[g]!)));
  }
  if (values.length === 0)
    throw new Error("meanCalibrationPlot: no gene has a positive observed and predicted mean");
  logRatios.sort((a, b) => a - b);
  const med = logRatios[Math.floor(logRatios.length / 2)]!;
  const lo = Math.min(...values.map((v) => Math.min(v.observed, v.predicted)));
  const hi = Math.max(...values.map((v) => Math.max(v.observed, v.predicted)));
  const axis = { type: "quantitative", scale: { type: "log", domain: [lo, hi] } };
  return plotSpec(
    {
      width: opts.width ?? 340,
      height: opts.height ?? 340,
      layer: [
        {
          data: {
            values: [
              { observed: lo, predicted: lo },
              { observed: hi, predicted: hi },
            ],
          },
          mark: { type: "line", color: "#d62728", strokeDash: [5, 4] },
          encoding: { x: { field: "observed", ...axis }, y: { field: "predicted", ...axis } },
        },
        {
          data: { values },
          mark: { type: "point", filled: true, size: 16, opacity: 0.6, color: opts.colors?.[0] ?? "#4c78a8" },
          encoding: {
            x: { field: "observed", ...axis, title: "observed mean count" },
            y: { field: "predicted", ...axis, title: "predicted mean count" },
            tooltip: [{ field: "gene" }],
          },
        },
      ],
    },
    opts.title ?? `Mean calibration (${values.length} genes; median |log ratio| ${med.toFixed(3)})`,
  );
}
