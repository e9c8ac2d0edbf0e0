/**
 * The datasets of a multi-dataset fit from an obs column (SCRIBE `dataset_key`, SCRIBE
 * multi-dataset designs): the column's distinct values, sorted, are datasets 0 … D − 1.
 * @module
 */
import type { AnnData } from "../io/anndata.js";
import { decodeCategorical, isCategorical } from "../io/frame.js";

/**
 * The obs columns of a `datasetKey` value, in order: "a,b" (the command line's form) or a list;
 * none for anything else.
 * @example
 * datasetKeyColumns("treat, batch"); // ["treat", "batch"]
 */
export function datasetKeyColumns(datasetKey: unknown): string[] {
  if (typeof datasetKey === "string") return datasetKey.split(",").map((k) => k.trim());
  if (Array.isArray(datasetKey)) return datasetKey.map(String);
  return [];
}

/**
 * Each cell's dataset index and the dataset names from obs column `key`. Missing values are
 * refused (every cell must belong to a dataset).
 * @example
 * datasetsOfColumn(adata, "batch"); // { indices: Int32Array [0, 1, 1, …], levels: ["a", "b"] }
 */
export function datasetsOfColumn(
  adata: Pick<AnnData, "obs">,
  key: string,
): { indices: Int32Array; levels: string[] } {
  const col = adata.obs.columns[key];
  if (!col)
    throw new Error(
      `datasetKey: obs has no column ${JSON.stringify(key)} (columns: ${Object.keys(adata.obs.columns).join(", ") || "none"})`,
    );
  const values: (string | null)[] = isCategorical(col)
    ? decodeCategorical(col).map((v) => (v === null ? null : String(v)))
    : (col as unknown as unknown[]).map((v) =>
        v === null || v === undefined || v === "" ? null : String(v),
      );
  const missing = values.indexOf(null);
  if (missing >= 0)
    throw new Error(
      `datasetKey: obs column ${JSON.stringify(key)} has no value for cell ${missing} (${adata.obs.index[missing]})`,
    );
  const levels = [...new Set(values as string[])].sort();
  const pos = new Map(levels.map((l, i) => [l, i]));
  return { indices: Int32Array.from(values as string[], (v) => pos.get(v)!), levels };
}
