/**
 * The checks of a backed fit (`fit(path, { backed: true })`, `scribe fit --backed`): options
 * that need the whole count matrix in memory are refused by name before the file is streamed,
 * then the file is opened as {@link BackedCounts}. Node-only.
 * @module
 */
import type { FitOptions } from "../fit.js";
import { type BackedCounts, openBackedCounts } from "./backed-counts-node.js";

/**
 * The options of `options` a backed fit cannot honour, each with why (empty when it can).
 * `nCells` is the file's number of cells (for the minibatch size).
 */
export function backedFitConflicts(options: FitOptions, nCells?: number): string[] {
  const out: string[] = [];
  const method = options.inferenceMethod ?? "svi";
  if (method !== "svi")
    out.push(`inferenceMethod ${method} (only SVI reads its data in minibatches; use the in-memory fit)`);
  const B = options.batchSize;
  if (B === undefined || B === null)
    out.push("no batchSize (a backed fit reads one minibatch of cells per step)");
  else if (nCells !== undefined && B >= nCells)
    out.push(
      `batchSize ${B} ≥ the file's ${nCells} cells (that is the whole matrix per step; fit in memory)`,
    );
  if (options.layer !== undefined) out.push(`layer ${JSON.stringify(options.layer)} (backed fits read X)`);
  if (options.geneCoverage !== undefined && options.geneCoverage !== null)
    out.push("geneCoverage (pooling genes rewrites the whole matrix)");
  if ((options.nComponents ?? 1) > 1 && options.initComponents !== false && !options.componentGeneLoc)
    out.push("a mixture's k-means start (give initComponents: false, --no-init-components)");
  if (options.amortizeCapture)
    out.push("amortizeCapture (the results keep the whole matrix for the encoder)");
  const model = options.model ?? "nbvcp";
  const priorKeys = Object.keys(options.priors ?? {});
  if (
    model.startsWith("twostate") &&
    !options.muPriorLoc &&
    !priorKeys.includes("mu") &&
    !priorKeys.includes("mean_expression")
  )
    out.push(`model ${model} without muPriorLoc or priors.mu (its mu prior is anchored at the whole matrix)`);
  return out;
}

/**
 * Check the options of a backed fit and open `path` (an `.h5ad` file). Errors name every
 * option that needs the whole matrix, and the file when it is not an `.h5ad` one.
 */
export async function openBackedFit(path: string, options: FitOptions): Promise<BackedCounts> {
  const refuse = (list: string[]) => {
    if (list.length)
      throw new Error(
        `fit --backed (${path}): these options need the whole count matrix: ${list.join("; ")}`,
      );
  };
  refuse(backedFitConflicts(options));
  const src = await openBackedCounts(path, { batchSize: options.batchSize ?? undefined });
  try {
    refuse(backedFitConflicts(options, src.shape[0]));
  } catch (e) {
    src.close();
    throw e;
  }
  return src;
}
