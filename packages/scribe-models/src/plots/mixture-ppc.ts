/**
 * Per-component posterior predictive check of a mixture: for each component, the cells
 * assigned to it (MAP) against that component's predictive, on the same genes (spread
 * across overall expression); one row of panels per component.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { ScribeResults } from "../results/results.js";
import { assignments, componentNames } from "./mixture-composition.js";
import { type PpcBin, type PpcPlotOptions, ppcBins, ppcSpecFromBins } from "./ppc.js";
import {
  geneMeans,
  genePredictive,
  genesAcrossExpression,
  readCounts,
  resolveGenes,
} from "./predictive-data.js";
import type { PlotSpec } from "./spec.js";

/** Options of {@link mixturePpcPlot}. */
export interface MixturePpcOptions extends PpcPlotOptions {
  /** Component names (annotation labels), in order. */
  labels?: readonly string[];
}

/** The per-component PPC of a mixture fit on `counts` [cells, genes] (default 4 genes, 100 draws). */
export async function mixturePpcPlot(
  results: ScribeResults,
  counts: Tensor,
  opts: MixturePpcOptions = {},
): Promise<PlotSpec> {
  const z = await assignments(results, counts, "mixturePpcPlot");
  const names = componentNames(results, opts.labels);
  const x = await readCounts(results, counts, "mixturePpcPlot");
  const genes = opts.genes
    ? resolveGenes(results, opts.genes, "mixturePpcPlot")
    : genesAcrossExpression(geneMeans(x, results.nCells, results.nGenes), opts.nGenes ?? 4);
  const bins: PpcBin[] = [];
  const order: string[] = [];
  let draws = 0;
  for (let k = 0; k < names.length; k++) {
    const cells = [...z.keys()].filter((c) => z[c] === k);
    if (cells.length === 0) continue;
    const gp = await genePredictive(
      results.getComponent(k),
      counts,
      { ...opts, genes, cells },
      "mixturePpcPlot",
    );
    draws = gp.nDraws;
    const label = `${names[k]} (${cells.length} cells)`;
    for (const b of ppcBins(gp, opts.maxBins)) bins.push({ ...b, gene: `${label} · ${b.gene}` });
    for (const g of gp.names) order.push(`${label} · ${g}`);
  }
  return ppcSpecFromBins(
    bins,
    order,
    { columns: genes.length, ...opts },
    `Per-component predictive check, ${draws} draws; bands 50 % / 90 %`,
  );
}
