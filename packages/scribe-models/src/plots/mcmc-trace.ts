/**
 * MCMC trace plot: each scalar quantity's draws against the draw index, one line per chain,
 * one row per quantity (independent y scales). Well-mixed chains overlap as stationary noise.
 * @module
 */
import { thinnedSteps } from "./loss.js";
import { type SiteDraws, type SiteSelection, scalarChains } from "./site-draws.js";
import { colorScale, type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link tracePlot}. */
export interface TracePlotOptions extends PlotOptions, SiteSelection {
  /** Most draws drawn per chain (default 1000, thinned evenly). */
  maxDraws?: number;
}

/** The trace plot of MCMC draws (`mcmc.getSiteDraws()` or {@link siteDrawsFromTensors}). */
export function tracePlot(draws: readonly SiteDraws[], opts: TracePlotOptions = {}): PlotSpec {
  const series = scalarChains(draws, opts, "tracePlot");
  const values: { parameter: string; chain: string; draw: number; value: number }[] = [];
  for (const s of series)
    s.chains.forEach((x, c) => {
      for (const i of thinnedSteps(x.length, opts.maxDraws ?? 1000))
        values.push({ parameter: s.name, chain: String(c + 1), draw: i + 1, value: x[i]! });
    });
  const nChains = series[0]!.chains.length;
  return plotSpec(
    {
      data: { values },
      facet: {
        row: {
          field: "parameter",
          type: "nominal",
          title: null,
          sort: series.map((s) => s.name),
          header: { labelAngle: 0, labelAlign: "left" },
        },
      },
      spec: {
        width: opts.width ?? 460,
        height: opts.height ?? 90,
        mark: { type: "line", strokeWidth: 0.8, opacity: 0.8 },
        encoding: {
          x: { field: "draw", type: "quantitative", title: "draw" },
          y: { field: "value", type: "quantitative", title: "value", scale: { zero: false } },
          color: { field: "chain", type: "nominal", title: "chain", scale: colorScale(opts) },
        },
      },
      resolve: { scale: { y: "independent" } },
    },
    opts.title ?? `Trace plot (${nChains} chain${nChains > 1 ? "s" : ""})`,
  );
}
