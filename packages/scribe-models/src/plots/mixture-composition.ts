/**
 * Mixture composition: cells per component by MAP assignment (bars), with the number the
 * fitted mixing weights imply (ticks), components named by their annotation labels when
 * given (`labels`, or `results.meta.componentLabels`).
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { ScribeResults } from "../results/results.js";
import { colorScale, type PlotOptions, type PlotSpec, plotSpec } from "./spec.js";

/** Options of {@link mixtureCompositionPlot}. */
export interface CompositionOptions extends PlotOptions {
  /** Name of each component (annotation labels), in component order. */
  labels?: readonly string[];
}

/** Component names: "k" or "k: label". */
export function componentNames(results: ScribeResults, labels?: readonly string[]): string[] {
  const K = results.nComponents;
  const given =
    labels ??
    (Array.isArray(results.meta.componentLabels) ? (results.meta.componentLabels as string[]) : undefined);
  if (given && given.length !== K)
    throw new Error(`mixture plots: ${given.length} labels for ${K} components`);
  return Array.from({ length: K }, (_, k) => (given ? `${k}: ${given[k]}` : String(k)));
}

/** MAP component of each cell (one `await`). */
export async function assignments(
  results: ScribeResults,
  counts: Tensor,
  where: string,
): Promise<Int32Array> {
  if (results.nComponents < 2)
    throw new Error(
      `${where}: model ${results.modelType} is not a mixture (nComponents = ${results.nComponents})`,
    );
  const z: Tensor = await results.cellAssignments(counts);
  return Int32Array.from(await z.data());
}

/** The composition plot of a mixture fit on `counts` [cells, genes]. */
export async function mixtureCompositionPlot(
  results: ScribeResults,
  counts: Tensor,
  opts: CompositionOptions = {},
): Promise<PlotSpec> {
  const z = await assignments(results, counts, "mixtureCompositionPlot");
  const names = componentNames(results, opts.labels);
  const K = names.length;
  const n = new Array<number>(K).fill(0);
  for (const k of z) n[k]!++;
  const map: Record<string, Tensor> = await results.getMap();
  const w = map.mixing_weights ? Array.from(await map.mixing_weights.data()) : null;
  const values = names.map((name, k) => ({
    component: name,
    cells: n[k]!,
    expected: w ? w[k]! * z.length : null,
  }));
  return plotSpec(
    {
      width: opts.width ?? Math.max(200, 60 * K),
      height: opts.height ?? 260,
      data: { values },
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            x: {
              field: "component",
              type: "nominal",
              title: "component",
              sort: names,
              axis: { labelAngle: names.some((s) => s.length > 6) ? -30 : 0 },
            },
            y: { field: "cells", type: "quantitative", title: "cells (MAP assignment)" },
            color: { field: "component", type: "nominal", legend: null, scale: colorScale(opts, names) },
          },
        },
        ...(w
          ? [
              {
                mark: { type: "tick", color: "black", thickness: 2, size: 30 },
                encoding: {
                  x: { field: "component", type: "nominal", sort: names },
                  y: { field: "expected", type: "quantitative" },
                },
              },
            ]
          : []),
        {
          mark: { type: "text", dy: -8, fontSize: 12 },
          encoding: {
            x: { field: "component", type: "nominal", sort: names },
            y: { field: "cells", type: "quantitative" },
            text: { field: "cells" },
          },
        },
      ],
    },
    opts.title ??
      `Mixture composition (${z.length} cells, ${K} components${w ? "; ticks: mixing weights × cells" : ""})`,
  );
}
