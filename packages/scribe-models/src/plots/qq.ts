/**
 * Normal QQ plot of randomized quantile residuals (Dunn & Smyth 1996): under the fitted
 * model they are standard normal, so the points follow the identity line; heavy tails or an
 * S-shape point at misfit. Takes the residuals (from the goodness-of-fit module) as numbers,
 * one group per model or gene set.
 * @module
 */
import { specialScalar } from "@scribe/core";
import { colorScale, type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link qqPlot}. */
export interface QqPlotOptions extends PlotOptions {
  /** Most points per group (default 2000; evenly spaced order statistics). */
  maxPoints?: number;
}

/** (theoretical, sample) pairs: sorted finite residuals against Φ⁻¹((i − 0.5)/n). */
export function qqPairs(
  residuals: ArrayLike<number>,
  maxPoints = 2000,
): { theoretical: number; sample: number }[] {
  const s = Float64Array.from(
    Array.prototype.filter.call(residuals, (v: number) => Number.isFinite(v)) as number[],
  ).sort();
  const n = s.length;
  const out: { theoretical: number; sample: number }[] = [];
  const step = Math.max(1, n / maxPoints);
  for (let k = 0; k < Math.min(n, maxPoints); k++) {
    const i = Math.min(n - 1, Math.round(k * step));
    out.push({ theoretical: specialScalar.ndtri((i + 0.5) / n), sample: s[i]! });
  }
  return out;
}

/** QQ plot of residuals: one array, or named groups drawn in colours. */
export function qqPlot(
  residuals: ArrayLike<number> | Readonly<Record<string, ArrayLike<number>>>,
  opts: QqPlotOptions = {},
): PlotSpec {
  const groups: [string, ArrayLike<number>][] =
    typeof (residuals as ArrayLike<number>).length === "number"
      ? [["residuals", residuals as ArrayLike<number>]]
      : Object.entries(residuals as Record<string, ArrayLike<number>>);
  const values = groups.flatMap(([name, r]) =>
    qqPairs(r, opts.maxPoints).map((p) => ({ ...p, group: name })),
  );
  if (values.length === 0) throw new Error("qqPlot: no finite residuals");
  const lim = Math.max(...values.map((v) => Math.max(Math.abs(v.theoretical), Math.abs(v.sample))));
  return plotSpec(
    {
      width: opts.width ?? 320,
      height: opts.height ?? 320,
      layer: [
        {
          data: {
            values: [
              { a: -lim, b: -lim },
              { a: lim, b: lim },
            ],
          },
          mark: { type: "line", color: "#888", strokeDash: [5, 4] },
          encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } },
        },
        {
          data: { values },
          mark: { type: "point", filled: true, size: 14, opacity: 0.7 },
          encoding: {
            x: { field: "theoretical", type: "quantitative", title: "standard normal quantile" },
            y: { field: "sample", type: "quantitative", title: "quantile residual" },
            color: {
              field: "group",
              type: "nominal",
              title: null,
              scale: colorScale(opts),
              ...(groups.length === 1 ? { legend: null } : {}),
            },
          },
        },
      ],
    },
    opts.title ?? "Randomized quantile residuals, normal QQ",
  );
}
