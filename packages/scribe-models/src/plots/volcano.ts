/**
 * Volcano plot of a DE table: effect (log2 fold change, or Δ's posterior mean for Bayesian
 * tables) against −log10 of the significance (padj, or lfsr for Bayesian tables), genes
 * coloured by call and the most significant ones labelled.
 * @module
 */
import { type DePlotTable, deRows, negLog10 } from "./de-table.js";
import { colorScale, type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link volcanoPlot}. */
export interface VolcanoOptions extends PlotOptions {
  /** Significance threshold on padj or lfsr (default 0.05). */
  alpha?: number;
  /** Minimum |effect| of a call (default 1 for log2FC, 0 for Bayesian tables). */
  effectThreshold?: number;
  /** Label this many of the most significant called genes (default 10). */
  labelTop?: number;
  /** Label these genes too (when present in the table). */
  labelGenes?: readonly string[];
}

/** Call categories, in legend order. */
export const CALL_LEVELS = ["up", "down", "not significant"] as const;

/** The call of a gene: significant and beyond the threshold on either side, or not. */
export function callOf(
  effect: number,
  significance: number,
  alpha: number,
  threshold: number,
): (typeof CALL_LEVELS)[number] {
  if (significance < alpha && Math.abs(effect) >= threshold && effect !== 0)
    return effect > 0 ? "up" : "down";
  return "not significant";
}

/**
 * A volcano plot of `table` (every gene with finite values is one point).
 * @example
 * ```ts
 * const spec = volcanoPlot(nbTest(fit, { contrast: "conditiontreated" }), { labelTop: 5 });
 * ```
 */
export function volcanoPlot(table: DePlotTable, opts: VolcanoOptions = {}): PlotSpec {
  const t = deRows(table, "volcanoPlot");
  const alpha = opts.alpha ?? 0.05;
  const thr = opts.effectThreshold ?? (t.bayesian ? 0 : 1);
  const yTitle = `−log10 ${t.significanceName}`;
  const values = t.rows.map((r) => ({
    gene: r.gene,
    effect: r.effect,
    score: negLog10(r.significance),
    call: callOf(r.effect, r.significance, alpha, thr),
  }));
  const want = new Set(opts.labelGenes ?? []);
  const called = values.filter((v) => v.call !== "not significant").sort((a, b) => b.score - a.score);
  for (const v of called.slice(0, opts.labelTop ?? 10)) want.add(v.gene);
  const labels = values.filter((v) => want.has(v.gene));
  const rules: Record<string, unknown>[] = [{ y: negLog10(alpha), axis: "y" }];
  if (thr > 0) rules.push({ x: -thr, axis: "x" }, { x: thr, axis: "x" });
  return plotSpec(
    {
      width: opts.width ?? 420,
      height: opts.height ?? 360,
      layer: [
        {
          data: { values },
          mark: { type: "point", filled: true, size: 22, opacity: 0.75 },
          encoding: {
            x: { field: "effect", type: "quantitative", title: t.effectTitle },
            y: { field: "score", type: "quantitative", title: yTitle },
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
              { field: "effect", format: ".3f" },
              { field: "score", title: yTitle, format: ".2f" },
            ],
          },
        },
        {
          data: { values: rules.filter((r) => r.axis === "y") },
          mark: { type: "rule", strokeDash: [4, 4], color: "#888" },
          encoding: { y: { field: "y", type: "quantitative" } },
        },
        ...(thr > 0
          ? [
              {
                data: { values: rules.filter((r) => r.axis === "x") },
                mark: { type: "rule", strokeDash: [4, 4], color: "#888" },
                encoding: { x: { field: "x", type: "quantitative" } },
              },
            ]
          : []),
        // labels point inwards so they stay inside the chart: right-aligned on the right side
        ...[true, false].map((right) => ({
          data: { values: labels.filter((v) => v.effect > 0 === right) },
          mark: { type: "text", align: right ? "right" : "left", dx: right ? -6 : 6, dy: -4, fontSize: 11 },
          encoding: {
            x: { field: "effect", type: "quantitative" },
            y: { field: "score", type: "quantitative" },
            text: { field: "gene" },
          },
        })),
      ],
    },
    opts.title ??
      `Volcano plot (${values.length} genes${t.dropped ? `, ${t.dropped} without a test left out` : ""})`,
  );
}
