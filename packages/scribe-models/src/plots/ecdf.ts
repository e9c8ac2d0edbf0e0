/**
 * ECDFs of observed vs predicted counts per gene: the observed empirical CDF (step line)
 * over the 90 % band and median of the predictive ECDF across posterior predictive draws,
 * on a log1p count axis so low counts (where single-cell data live) stay readable.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { ScribeResults } from "../results/results.js";
import {
  bandQuantiles,
  type GenePredictive,
  genePredictive,
  histogramCap,
  type PredictiveSelection,
} from "./predictive-data.js";
import { type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link ecdfPlot}. */
export interface EcdfPlotOptions extends PlotOptions, PredictiveSelection {
  /** Panels per row (default 5). */
  columns?: number;
}

/** One point of one gene's ECDFs. */
export interface EcdfPoint {
  gene: string;
  /** Count value x. */
  count: number;
  /** Observed fraction of cells with count ≤ x. */
  observed: number;
  /** Predictive ECDF quantiles at x: 5, 50, 95 %. */
  lo: number;
  median: number;
  hi: number;
}

/** ECDF of a slice at integer points 0..cap. */
export function ecdfAt(x: ArrayLike<number>, off: number, len: number, cap: number): Float64Array {
  const h = new Float64Array(cap + 1);
  for (let i = 0; i < len; i++) {
    const v = x[off + i]!;
    if (v <= cap) h[Math.floor(v)]! += 1;
  }
  let acc = 0;
  for (let k = 0; k <= cap; k++) {
    acc += h[k]!;
    h[k] = acc / len;
  }
  return h;
}

/** ECDF points of each gene, up to its histogram cap. */
export function ecdfPoints(gp: GenePredictive): EcdfPoint[] {
  const out: EcdfPoint[] = [];
  gp.names.forEach((name, j) => {
    const cap = histogramCap(gp.observed[j]!);
    const obs = ecdfAt(gp.observed[j]!, 0, gp.nCells, cap);
    const draws = Array.from({ length: gp.nDraws }, (_, s) =>
      ecdfAt(gp.predicted[j]!, s * gp.nCells, gp.nCells, cap),
    );
    const [lo, med, hi] = bandQuantiles(draws, [0.05, 0.5, 0.95]) as [number[], number[], number[]];
    for (let k = 0; k <= cap; k++)
      out.push({ gene: name, count: k, observed: obs[k]!, lo: lo[k]!, median: med[k]!, hi: hi[k]! });
  });
  return out;
}

/** ECDF plot of `results` against the observed `counts` [cells, genes]. */
export async function ecdfPlot(
  results: ScribeResults,
  counts: Tensor,
  opts: EcdfPlotOptions = {},
): Promise<PlotSpec> {
  const gp = await genePredictive(results, counts, { nGenes: 25, ...opts }, "ecdfPlot");
  const pts = ecdfPoints(gp);
  const colors = opts.colors ?? ["#fdd0a2", "#e6550d", "#000000"];
  const x = { field: "count", type: "quantitative", title: "count", scale: { type: "symlog" } };
  const y = { type: "quantitative", title: "fraction of cells ≤ count", scale: { domain: [0, 1] } };
  return plotSpec(
    {
      data: { values: pts },
      facet: { field: "gene", type: "nominal", title: null, sort: gp.names },
      columns: opts.columns ?? 5,
      spec: {
        width: opts.width ?? 170,
        height: opts.height ?? 120,
        layer: [
          {
            mark: { type: "area", interpolate: "step-after", color: colors[0], opacity: 0.9 },
            encoding: { x, y: { field: "lo", ...y }, y2: { field: "hi" }, tooltip: [{ field: "gene" }] },
          },
          {
            transform: [{ calculate: "'predicted median'", as: "curve" }],
            mark: { type: "line", interpolate: "step-after", color: colors[1], strokeWidth: 1 },
            encoding: { x, y: { field: "median", ...y }, tooltip: [{ field: "gene" }, { field: "curve" }] },
          },
          {
            transform: [{ calculate: "'observed'", as: "curve" }],
            mark: { type: "line", interpolate: "step-after", color: colors[2], strokeWidth: 1.5 },
            encoding: { x, y: { field: "observed", ...y }, tooltip: [{ field: "gene" }, { field: "curve" }] },
          },
        ],
      },
      resolve: { scale: { x: "independent" } },
    },
    opts.title ?? `ECDF, observed (black) vs ${gp.nDraws} predictive draws (median, 90 % band)`,
  );
}
