/**
 * The last check before results are written: no NaN or infinity in the per-cell or per-gene
 * summaries. A model that breaks down on some cells (a huge count saturating p, an all-zero
 * cell) must end in an error naming those cells, never in a file with NaN and exit status 0.
 *
 * Node-only through its callers (no imports of its own beyond types).
 * @module
 */
import type { AnnData } from "../io/anndata.js";
import type { ColumnTable } from "../io/frame.js";
import { isCategorical } from "../io/frame.js";
import { CliError } from "./util.js";

/** Rows of numeric columns of `t` holding NaN or ±Infinity, by column. */
function nonFiniteRows(t: ColumnTable, prefix: string): Map<string, number[]> {
  const bad = new Map<string, number[]>();
  for (const [name, col] of Object.entries(t.columns)) {
    if (!name.startsWith(prefix) || isCategorical(col)) continue;
    const rows: number[] = [];
    (col as unknown[]).forEach((v, i) => {
      if (typeof v === "number" && !Number.isFinite(v)) rows.push(i);
    });
    if (rows.length) bad.set(name, rows);
  }
  return bad;
}

function listNames(names: readonly string[], rows: readonly number[], max = 5): string {
  const shown = rows.slice(0, max).map((i) => names[i] ?? `#${i}`);
  return `${shown.join(", ")}${rows.length > max ? `, … (${rows.length} in all)` : ""}`;
}

/**
 * Throw a {@link CliError} when a `scribe_*` column of `obs` or `var` holds a non-finite value,
 * naming the column, how many cells (genes) and the first of them.
 * @param adata the annotated data about to be written
 * @param what the output, for the message
 */
export function refuseNonFiniteResults(adata: AnnData, what: string): void {
  const problems: string[] = [];
  for (const [name, rows] of nonFiniteRows(adata.obs, "scribe_"))
    problems.push(
      `obs ${name} is not finite for ${rows.length} cell${rows.length === 1 ? "" : "s"} (${listNames(adata.obs.index, rows)})`,
    );
  for (const [name, rows] of nonFiniteRows(adata.var, "scribe_"))
    problems.push(
      `var ${name} is not finite for ${rows.length} gene${rows.length === 1 ? "" : "s"} (${listNames(adata.var.index, rows)})`,
    );
  if (problems.length)
    throw new CliError(
      `the fit broke down, ${what} not written: ${problems.join("; ")}; check these cells' counts (all zero, or extreme) or filter them out`,
    );
}
