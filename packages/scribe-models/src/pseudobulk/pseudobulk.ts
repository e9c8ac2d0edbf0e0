/**
 * Pseudobulk (issue 20 item 2): sum the counts of the cells of each group (a sample, or a
 * sample × cell type) into one row, streaming `X` from disk once
 * ({@link BackedAnnData}). The result is an AnnData of groups × genes whose `obs` keeps the
 * grouping columns (as categoricals) and `n_cells`, ready for NB-GLM DE on the groups.
 *
 * Node-only through its input.
 * @module
 */
import type { AnnData } from "../io/anndata.js";
import { createAnnData } from "../io/anndata.js";
import { type Column, categorical, decodeCategorical, isCategorical } from "../io/frame.js";
import type { BackedAnnData } from "../io/h5ad-backed.js";

/** Options of {@link pseudobulk}. */
export interface PseudobulkOptions {
  /** obs columns whose combination of values defines a group (e.g. `["sample", "cell_type"]`). */
  by: readonly string[];
  /**
   * Further obs columns to carry into the output (e.g. the condition of a sample): each must
   * hold one value within every group, else an error names the column and the group.
   */
  keep?: readonly string[];
  /** Cells (or genes, for CSC) per block read from disk (default 8192). */
  blockSize?: number;
}

/** Values of an obs column as strings; a missing categorical value is an error naming the cell. */
function labels(col: Column, name: string, cellNames: readonly string[]): string[] {
  const vals = isCategorical(col) ? decodeCategorical(col) : (col as unknown[]);
  return vals.map((v, i) => {
    if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v)))
      throw new Error(`pseudobulk: obs column '${name}' has no value for cell ${i} (${cellNames[i]})`);
    return String(v);
  });
}

/**
 * Sum counts per group of cells. Groups are ordered by first appearance among the cells; the
 * output row of a group is named by its values joined with `_`. Sums are exact float64.
 * @example
 * ```ts
 * const ad = await openAnnData("atlas.h5ad", { backed: true });
 * const pb = pseudobulk(ad, { by: ["sample", "cell_type"] });
 * ad.close();
 * ```
 */
export function pseudobulk(ad: BackedAnnData, options: PseudobulkOptions): AnnData {
  const by = options.by;
  if (by.length === 0) throw new Error("pseudobulk: give at least one obs column to group by");
  const [C, G] = ad.shape;
  const cols = by.map((name) => {
    const col = ad.obs.columns[name];
    if (col === undefined)
      throw new Error(
        `pseudobulk: no obs column '${name}' in ${ad.path}; columns: ${Object.keys(ad.obs.columns).join(", ") || "(none)"}`,
      );
    return labels(col, name, ad.obs.index);
  });
  const groupOf = new Int32Array(C);
  const keyIndex = new Map<string, number>();
  const groupValues: string[][] = [];
  for (let c = 0; c < C; c++) {
    const vals = cols.map((v) => v[c]!); // c < C = every column's length (checked by readFrame)
    const key = JSON.stringify(vals);
    let g = keyIndex.get(key);
    if (g === undefined) {
      g = groupValues.length;
      keyIndex.set(key, g);
      groupValues.push(vals);
    }
    groupOf[c] = g;
  }
  const nGroups = groupValues.length;
  const sums = new Float64Array(nGroups * G);
  const nCells = new Array<number>(nGroups).fill(0);
  for (let c = 0; c < C; c++) nCells[groupOf[c]!]!++;
  const block = options.blockSize ?? 8192;
  if (ad.format === "csc") {
    // columns of CSC are the cheap blocks: each holds every cell of a few genes
    for (const { start, X } of ad.geneBlocks(block)) {
      if (X.format !== "csc") throw new Error("pseudobulk: expected CSC gene blocks");
      for (let j = 0; j < X.shape[1]; j++) {
        for (let k = X.indptr[j]!; k < X.indptr[j + 1]!; k++)
          sums[groupOf[X.indices[k]!]! * G + start + j]! += X.data[k]!;
      }
    }
  } else {
    for (const { start, X } of ad.cellBlocks(block)) {
      if (X.format === "csr") {
        for (let i = 0; i < X.shape[0]; i++) {
          const row = groupOf[start + i]! * G;
          for (let k = X.indptr[i]!; k < X.indptr[i + 1]!; k++) sums[row + X.indices[k]!]! += X.data[k]!;
        }
      } else if (X.format === "dense") {
        for (let i = 0; i < X.shape[0]; i++) {
          const row = groupOf[start + i]! * G;
          for (let j = 0; j < G; j++) sums[row + j]! += X.data[i * G + j]!;
        }
      } else throw new Error("pseudobulk: expected CSR or dense cell blocks");
    }
  }
  const columns: Record<string, Column> = {};
  by.forEach((name, k) => {
    columns[name] = categorical(groupValues.map((v) => v[k]!));
  });
  for (const name of options.keep ?? []) {
    if (by.includes(name)) continue;
    const col = ad.obs.columns[name];
    if (col === undefined) throw new Error(`pseudobulk: no obs column '${name}' to keep in ${ad.path}`);
    const vals = labels(col, name, ad.obs.index);
    const perGroup = new Array<string | undefined>(nGroups);
    for (let c = 0; c < C; c++) {
      const g = groupOf[c]!;
      if (perGroup[g] === undefined) perGroup[g] = vals[c];
      else if (perGroup[g] !== vals[c])
        throw new Error(
          `pseudobulk: obs column '${name}' is not constant within group ${groupValues[g]!.join("_")} ` +
            `(${perGroup[g]} and ${vals[c]}); it cannot be kept`,
        );
    }
    columns[name] = categorical(perGroup as string[]);
  }
  columns.n_cells = nCells;
  return createAnnData({
    X: { format: "dense", data: sums, shape: [nGroups, G] },
    obs: { index: groupValues.map((v) => v.join("_")), columns },
    var: ad.var,
    uns: { pseudobulk: { by: [...by], source: ad.path } },
  });
}
