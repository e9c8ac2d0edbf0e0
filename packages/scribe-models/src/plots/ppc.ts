/**
 * Posterior predictive check per gene: for a grid of genes across expression levels, the
 * observed count histogram (fraction of cells per count bin, black points) against the
 * 50 % and 90 % bands of the same histogram over posterior predictive draws. A calibrated
 * model keeps about 90 % of the points inside the light band.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { ScribeResults } from "../results/results.js";
import {
  bandQuantiles,
  binFractions,
  countBins,
  type GenePredictive,
  genePredictive,
  histogramCap,
  type PredictiveSelection,
} from "./predictive-data.js";
import { type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link ppcPlot}. */
export interface PpcPlotOptions extends PlotOptions, PredictiveSelection {
  /** Panels per row (default 5). */
  columns?: number;
  /** Most bins per histogram (default 40). */
  maxBins?: number;
}

/** One histogram bin of one gene as drawn. */
export interface PpcBin {
  gene: string;
  /** Bin edges in counts: [lo, hi). */
  lo: number;
  hi: number;
  /** Observed fraction of cells. */
  observed: number;
  /** Quantiles of the predictive fraction: 5, 25, 50, 75, 95 %. */
  q05: number;
  q25: number;
  q50: number;
  q75: number;
  q95: number;
}

/** The histogram bins and bands of each gene. */
export function ppcBins(gp: GenePredictive, maxBins = 40): PpcBin[] {
  const out: PpcBin[] = [];
  gp.names.forEach((name, j) => {
    const bins = countBins(histogramCap(gp.observed[j]!), maxBins);
    const obs = binFractions(gp.observed[j]!, 0, gp.nCells, bins);
    const draws = Array.from({ length: gp.nDraws }, (_, s) =>
      binFractions(gp.predicted[j]!, s * gp.nCells, gp.nCells, bins),
    );
    const [q05, q25, q50, q75, q95] = bandQuantiles(draws, [0.05, 0.25, 0.5, 0.75, 0.95]) as [
      number[],
      number[],
      number[],
      number[],
      number[],
    ];
    for (let b = 0; b < bins.n; b++)
      out.push({
        gene: name,
        lo: bins.lo[b]!,
        hi: bins.lo[b]! + bins.width,
        observed: obs[b]!,
        q05: q05[b]!,
        q25: q25[b]!,
        q50: q50[b]!,
        q75: q75[b]!,
        q95: q95[b]!,
      });
  });
  return out;
}

/** Spec of PPC panels from prepared bins (shared by {@link ppcPlot} and the mixture PPC). */
export function ppcSpecFromBins(
  bins: readonly PpcBin[],
  order: readonly string[],
  opts: PpcPlotOptions,
  title: string,
): PlotSpec {
  const inside = bins.filter((b) => b.observed >= b.q05 - 1e-12 && b.observed <= b.q95 + 1e-12).length;
  const colors = opts.colors ?? ["#c6dbef", "#6baed6", "#08306b"];
  const x = { field: "lo", type: "quantitative", bin: { binned: true }, title: "count" };
  return plotSpec(
    {
      data: { values: bins },
      facet: { field: "gene", type: "nominal", title: null, sort: [...order], header: { labelFontSize: 12 } },
      columns: opts.columns ?? 5,
      spec: {
        width: opts.width ?? 170,
        height: opts.height ?? 120,
        layer: [
          {
            mark: { type: "bar", color: colors[0] },
            encoding: {
              x,
              x2: { field: "hi" },
              y: { field: "q05", type: "quantitative", title: "fraction of cells" },
              y2: { field: "q95" },
              tooltip: [{ field: "gene" }, { field: "q05", title: "5 %" }, { field: "q95", title: "95 %" }],
            },
          },
          {
            mark: { type: "bar", color: colors[1] },
            encoding: {
              x,
              x2: { field: "hi" },
              y: { field: "q25", type: "quantitative" },
              y2: { field: "q75" },
              tooltip: [{ field: "gene" }, { field: "q25", title: "25 %" }, { field: "q75", title: "75 %" }],
            },
          },
          {
            mark: { type: "point", filled: true, size: 14, color: colors[2] },
            transform: [{ calculate: "(datum.lo + datum.hi) / 2", as: "mid" }],
            encoding: {
              x: { field: "mid", type: "quantitative" },
              y: { field: "observed", type: "quantitative" },
              tooltip: [
                { field: "gene" },
                { field: "lo", title: "from" },
                { field: "hi", title: "to" },
                { field: "observed" },
              ],
            },
          },
        ],
      },
      resolve: { scale: { x: "independent", y: "independent" } },
    },
    opts.title ?? `${title} (${inside} of ${bins.length} observed bins inside the 90 % band)`,
  );
}

/**
 * Posterior predictive check of `results` against the observed `counts` [cells, genes].
 * @example
 * ```ts
 * const spec = await ppcPlot(results, counts, { nGenes: 16, nSamples: 200 });
 * ```
 */
export async function ppcPlot(
  results: ScribeResults,
  counts: Tensor,
  opts: PpcPlotOptions = {},
): Promise<PlotSpec> {
  const gp = await genePredictive(results, counts, opts, "ppcPlot");
  return ppcSpecFromBins(
    ppcBins(gp, opts.maxBins),
    gp.names,
    opts,
    `Posterior predictive check, ${gp.nDraws} draws; bands 50 % / 90 %, points observed, last bin ≥ cap`,
  );
}
