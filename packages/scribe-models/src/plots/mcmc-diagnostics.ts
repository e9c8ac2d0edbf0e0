/**
 * Convergence summary of MCMC draws: rank-normalized split R-hat per quantity with the
 * 1.01 threshold, and bulk and tail ESS with the 100-per-chain threshold (Vehtari et al.
 * 2021, §4-5), from infer's `summary` rows.
 * @module
 */
import type { diagnostics } from "@scribe/infer";

type SummaryRow = diagnostics.SummaryRow;

import { type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link diagnosticsPlot}. */
export interface DiagnosticsPlotOptions extends PlotOptions {
  /** R-hat threshold drawn (default 1.01). */
  rhatThreshold?: number;
  /** ESS threshold drawn (default 100 × numChains, i.e. 400 for four chains). */
  essThreshold?: number;
  /** Number of chains, for the default ESS threshold (default 4). */
  numChains?: number;
  /** Most rows drawn (default 60: the worst by R-hat). */
  maxRows?: number;
}

/** The R-hat / ESS summary plot of `summary(mcmc.getSiteDraws())` rows. */
export function diagnosticsPlot(rows: readonly SummaryRow[], opts: DiagnosticsPlotOptions = {}): PlotSpec {
  if (rows.length === 0) throw new Error("diagnosticsPlot: no summary rows");
  const rhatThr = opts.rhatThreshold ?? 1.01;
  const essThr = opts.essThreshold ?? 100 * (opts.numChains ?? 4);
  const shown = [...rows]
    .sort(
      (a, b) => (Number.isFinite(b.rHat) ? b.rHat : Infinity) - (Number.isFinite(a.rHat) ? a.rHat : Infinity),
    )
    .slice(0, opts.maxRows ?? 60);
  const order = shown.map((r) => r.name);
  const rhat = shown
    .filter((r) => Number.isFinite(r.rHat))
    .map((r) => ({ parameter: r.name, rhat: r.rHat, ok: r.rHat <= rhatThr ? "ok" : "high" }));
  const ess = shown
    .flatMap((r) => [
      { parameter: r.name, kind: "bulk", ess: r.nEff },
      { parameter: r.name, kind: "tail", ess: r.essTail },
    ])
    .filter((e) => Number.isFinite(e.ess));
  const h = opts.height ?? Math.max(120, 16 * shown.length);
  const y = { field: "parameter", type: "nominal", title: null, sort: order };
  return plotSpec(
    {
      hconcat: [
        {
          width: opts.width ?? 220,
          height: h,
          layer: [
            {
              data: { values: rhat },
              mark: { type: "point", filled: true, size: 50 },
              encoding: {
                x: {
                  field: "rhat",
                  type: "quantitative",
                  title: "R-hat (rank-normalized split)",
                  scale: { zero: false },
                },
                y,
                color: {
                  field: "ok",
                  type: "nominal",
                  title: `R-hat ≤ ${rhatThr}`,
                  scale: { domain: ["ok", "high"], range: ["#4c78a8", "#e45756"] },
                },
              },
            },
            {
              data: { values: [{ t: rhatThr }] },
              mark: { type: "rule", strokeDash: [4, 3], color: "#e45756" },
              encoding: { x: { field: "t", type: "quantitative" } },
            },
          ],
        },
        {
          width: opts.width ?? 220,
          height: h,
          layer: [
            {
              data: { values: ess },
              mark: { type: "point", filled: true, size: 50 },
              encoding: {
                x: {
                  field: "ess",
                  type: "quantitative",
                  title: "effective sample size",
                  scale: { type: "log" },
                },
                y: { ...y, axis: null },
                shape: { field: "kind", type: "nominal", title: "ESS" },
                color: {
                  field: "kind",
                  type: "nominal",
                  title: "ESS",
                  scale: { domain: ["bulk", "tail"], range: ["#54a24b", "#b279a2"] },
                },
              },
            },
            {
              data: { values: [{ t: essThr }] },
              mark: { type: "rule", strokeDash: [4, 3], color: "#e45756" },
              encoding: { x: { field: "t", type: "quantitative" } },
            },
          ],
        },
      ],
      resolve: { scale: { color: "independent", shape: "independent" } },
    },
    opts.title ??
      `Convergence (${rows.length} quantities${rows.length > shown.length ? `, worst ${shown.length} by R-hat shown` : ""})`,
  );
}
