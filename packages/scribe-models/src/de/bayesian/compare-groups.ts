/**
 * Groups within one data set (SCRIBE `scribe.de` `compare_groups`): split the cells by a label
 * column, fit one model per level (or take fitted results keyed by level), and compare two
 * levels.
 * @module
 */
import { fromTypedArray, type Tensor } from "@scribe/core";
import { type FitOptions, fit } from "../../fit.js";
import { type AnnData, subsetCells } from "../../io/anndata.js";
import { decodeCategorical, isCategorical } from "../../io/frame.js";
import { ScribeResults } from "../../results/results.js";
import { type CompareOptions, compare } from "./compare.js";
import type { BayesianComparison } from "./comparison.js";

/** Cell labels of an obs column (categoricals decoded; missing values as null). */
function labelsOf(adata: AnnData, column: string): (string | null)[] {
  const col = adata.obs.columns[column];
  if (!col)
    throw new Error(
      `obs has no column ${JSON.stringify(column)}; columns: ${Object.keys(adata.obs.columns).join(", ") || "(none)"}`,
    );
  if (isCategorical(col)) return decodeCategorical(col);
  return (col as unknown[]).map((v) =>
    v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v))
      ? null
      : String(v),
  );
}

/**
 * Cell indices per level of a label column (levels sorted; cells without a label dropped).
 * @example
 * splitByColumn(adata, "condition"); // Map { "control" => [0, 3, …], "treated" => [1, 2, …] }
 */
export function splitByColumn(adata: AnnData, column: string): Map<string, number[]> {
  return groupIndices(labelsOf(adata, column), column);
}

function groupIndices(labels: readonly (string | null)[], what: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  labels.forEach((l, i) => {
    if (l === null) return;
    const v = out.get(l);
    if (v) v.push(i);
    else out.set(l, [i]);
  });
  if (out.size === 0) throw new Error(`${what}: no labelled cells`);
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Options of {@link compareGroups}. */
export interface CompareGroupsOptions extends CompareOptions {
  /** An obs column (AnnData input) or one label per cell (null = unlabelled). Ignored for fitted results. */
  groupBy?: string | readonly (string | null)[];
  /** The level used as A (default: the first of two levels). */
  groupA?: string;
  /** The level used as B (default: the other of two levels). */
  groupB?: string;
  /** Options of `fit()` for each level. */
  fitOptions?: FitOptions;
  /** Fit every level, not only A and B (default false). */
  fitAllLevels?: boolean;
}

/** What {@link compareGroups} returns. */
export interface CompareGroupsResult {
  comparison: BayesianComparison;
  /** The fitted results per level that were fitted or given. */
  results: Record<string, ScribeResults>;
}

function pickLevels(levels: readonly string[], a?: string, b?: string): [string, string] {
  for (const l of [a, b])
    if (l !== undefined && !levels.includes(l))
      throw new Error(`compareGroups: no level ${JSON.stringify(l)}; levels: ${levels.join(", ")}`);
  if (a !== undefined && b !== undefined) {
    if (a === b) throw new Error(`compareGroups: groupA and groupB are both ${JSON.stringify(a)}`);
    return [a, b];
  }
  if (levels.length !== 2 && (a === undefined || b === undefined))
    throw new Error(`compareGroups: ${levels.length} levels (${levels.join(", ")}); name groupA and groupB`);
  const la = a ?? levels.find((l) => l !== b)!;
  const lb = b ?? levels.find((l) => l !== la)!;
  return [la, lb];
}

/**
 * Fit one model per level of `groupBy` and compare level A with level B; or, given fitted
 * results keyed by level, compare two of them.
 * @example
 * const { comparison } = await compareGroups(adata, { groupBy: "condition", groupA: "treated", groupB: "control", fitOptions: { model: "nbdm", nSteps: 5000 } });
 */
export async function compareGroups(
  data: AnnData | Tensor | Readonly<Record<string, ScribeResults>>,
  opts: CompareGroupsOptions = {},
): Promise<CompareGroupsResult> {
  const isResults = !("X" in data) && !("shape" in data);
  if (isResults) {
    const byLevel = data as Readonly<Record<string, ScribeResults>>;
    for (const [k, v] of Object.entries(byLevel))
      if (!(v instanceof ScribeResults))
        throw new Error(`compareGroups: entry ${JSON.stringify(k)} is not fitted results`);
    const [la, lb] = pickLevels(Object.keys(byLevel), opts.groupA, opts.groupB);
    const comparison = await compare(byLevel[la]!, byLevel[lb]!, { labelA: la, labelB: lb, ...opts });
    return { comparison, results: { ...byLevel } };
  }
  const by = opts.groupBy;
  if (by === undefined)
    throw new Error("compareGroups: groupBy (an obs column or one label per cell) is required");
  let groups: Map<string, number[]>;
  const adata = "X" in data ? (data as AnnData) : null;
  const nCells = adata ? adata.X.shape[0] : (data as Tensor).shape[0]!;
  if (typeof by === "string") {
    if (!adata)
      throw new Error(
        "compareGroups: groupBy as a column name needs an AnnData input; give one label per cell for a counts tensor",
      );
    groups = splitByColumn(adata, by);
  } else {
    if (by.length !== nCells)
      throw new Error(`compareGroups: groupBy has ${by.length} labels for ${nCells} cells`);
    groups = groupIndices(by, "groupBy");
  }
  const [la, lb] = pickLevels([...groups.keys()], opts.groupA, opts.groupB);
  const levels = opts.fitAllLevels ? [...groups.keys()] : [la, lb];
  const results: Record<string, ScribeResults> = {};
  for (const level of levels) {
    const idx = groups.get(level)!;
    const part = adata
      ? subsetCells(adata, idx)
      : (data as Tensor).gather(fromTypedArray(Int32Array.from(idx), [idx.length]), 0);
    results[level] = (await fit(part, opts.fitOptions ?? {})).results;
  }
  const comparison = await compare(results[la]!, results[lb]!, { labelA: la, labelB: lb, ...opts });
  return { comparison, results };
}
