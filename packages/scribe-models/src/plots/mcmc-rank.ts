/**
 * MCMC rank plot (Vehtari et al. 2021, "Rank-normalization, folding, and localization", §4):
 * all draws of a quantity are ranked together, and each chain's ranks are shown as a
 * histogram. Chains sampling the same distribution give flat histograms at the dashed
 * uniform level; a chain stuck apart piles up at one end.
 * @module
 */
import { diagnostics } from "@scribe/infer";

type SiteDraws = diagnostics.SiteDraws;
const { ranks } = diagnostics;

import { type SiteSelection, scalarChains } from "./site-draws.js";
import { colorScale, type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link rankPlot}. */
export interface RankPlotOptions extends PlotOptions, SiteSelection {
  /** Rank bins per chain (default 20). */
  bins?: number;
}

/**
 * Per chain, the counts of its draws' pooled ranks (1..N) in `bins` equal bins; bin b holds
 * ranks in ((b/B)·N, ((b+1)/B)·N].
 */
export function rankBinCounts(chains: readonly ArrayLike<number>[], bins: number): number[][] {
  const all: number[] = [];
  for (const c of chains) for (let i = 0; i < c.length; i++) all.push(c[i]!);
  const r = ranks(all);
  const N = all.length;
  const out = chains.map(() => new Array<number>(bins).fill(0));
  let o = 0;
  chains.forEach((c, k) => {
    for (let i = 0; i < c.length; i++) out[k]![Math.min(bins - 1, Math.floor(((r[o++]! - 1) / N) * bins))]!++;
  });
  return out;
}

/** The rank plot of MCMC draws (needs ≥ 2 chains to say anything; one chain is drawn alone). */
export function rankPlot(draws: readonly SiteDraws[], opts: RankPlotOptions = {}): PlotSpec {
  const bins = opts.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 2)
    throw new Error(`rankPlot: bins must be an integer ≥ 2, got ${bins}`);
  const series = scalarChains(draws, opts, "rankPlot");
  const values: { parameter: string; chain: string; lo: number; hi: number; draws: number }[] = [];
  for (const s of series) {
    const counts = rankBinCounts(s.chains, bins);
    counts.forEach((cs, k) => {
      cs.forEach((n, b) => {
        values.push({ parameter: s.name, chain: String(k + 1), lo: b / bins, hi: (b + 1) / bins, draws: n });
      });
    });
  }
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
        column: { field: "chain", type: "nominal", title: "chain" },
      },
      spec: {
        width: opts.width ?? Math.max(110, Math.round(440 / nChains)),
        height: opts.height ?? 80,
        layer: [
          {
            mark: { type: "bar", stroke: "white", strokeWidth: 0.5 },
            encoding: {
              x: {
                field: "lo",
                type: "quantitative",
                bin: { binned: true, step: 1 / bins },
                title: "rank (fraction of all draws)",
                scale: { domain: [0, 1] },
              },
              x2: { field: "hi" },
              y: { field: "draws", type: "quantitative", title: "draws", scale: { zero: true } },
              color: { field: "chain", type: "nominal", legend: null, scale: colorScale(opts) },
            },
          },
          {
            transform: [{ aggregate: [{ op: "mean", field: "draws", as: "uniform" }], groupby: [] }],
            mark: { type: "rule", strokeDash: [4, 3], color: "#333" },
            encoding: { y: { field: "uniform", type: "quantitative" } },
          },
        ],
      },
      resolve: { scale: { y: "independent" } },
    },
    opts.title ?? `Rank plot (${nChains} chain${nChains > 1 ? "s" : ""}, ${bins} bins; dashed: uniform)`,
  );
}
