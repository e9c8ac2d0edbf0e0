/**
 * MA plot of a DE table: effect against mean expression (log10 scale), genes coloured by
 * call. DE tables carry no mean, so it is passed in (one value per table row, e.g. the mean
 * normalized count per gene).
 * @module
 */
import { type DePlotTable, deRows } from "./de-table.js";
import { colorScale, type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";
import { CALL_LEVELS, callOf } from "./volcano.js";

/** Options of {@link maPlot}. */
export interface MaOptions extends PlotOptions {
  /** Significance threshold on padj or lfsr (default 0.05). */
  alpha?: number;
  /** Minimum |effect| of a call (default 1 for log2FC, 0 for Bayesian tables). */
  effectThreshold?: number;
}

/**
 * An MA plot: `meanExpression[i]` (> 0; genes with mean 0 are left out) against the effect
 * of row `i` of `table`.
 */
export function maPlot(
  table: DePlotTable,
  meanExpression: ArrayLike<number>,
  opts: MaOptions = {},
): PlotSpec {
  const t = deRows(table, "maPlot");
  if (meanExpression.length !== table.gene.length)
    throw new Error(
      `maPlot: meanExpression has ${meanExpression.length} values for ${table.gene.length} genes`,
    );
  const alpha = opts.alpha ?? 0.05;
  const thr = opts.effectThreshold ?? (t.bayesian ? 0 : 1);
  const values = t.rows
    .filter((r) => Number(meanExpression[r.row]) > 0)
    .map((r) => ({
      gene: r.gene,
      mean: Number(meanExpression[r.row]),
      effect: r.effect,
      call: callOf(r.effect, r.significance, alpha, thr),
    }));
  return plotSpec(
    {
      width: opts.width ?? 440,
      height: opts.height ?? 320,
      layer: [
        {
          data: { values },
          mark: { type: "point", filled: true, size: 20, opacity: 0.7 },
          encoding: {
            x: { field: "mean", type: "quantitative", title: "mean expression", scale: { type: "log" } },
            y: { field: "effect", type: "quantitative", title: t.effectTitle },
            color: {
              field: "call",
              type: "nominal",
              title: "call",
              scale: colorScale(opts.colors ? opts : { colors: ["#d6604d", "#4393c3", "#bbbbbb"] }, [
                ...CALL_LEVELS,
              ]),
            },
            tooltip: [
              { field: "gene" },
              { field: "mean", format: ".3g" },
              { field: "effect", format: ".3f" },
            ],
          },
        },
        {
          data: { values: [{ y: 0 }] },
          mark: { type: "rule", color: "#555" },
          encoding: { y: { field: "y", type: "quantitative" } },
        },
      ],
    },
    opts.title ?? "MA plot",
  );
}
