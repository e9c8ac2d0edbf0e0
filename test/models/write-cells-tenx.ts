import { join } from "node:path";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";

/**
 * Write simulated counts (cells × genes, row-major) with string obs columns as a 10x folder
 * `dir/tenx` (cells `c0…`, genes `gene0…`) and return its path: the input of the CLI tests
 * that fit by `--split-by` / `--annotation-key`.
 */
export function writeCellsTenx(
  dir: string,
  counts: ArrayLike<number>,
  nGenes: number,
  columns: Record<string, string[]>,
): string {
  const nCells = counts.length / nGenes;
  const ad = createAnnData({
    X: { format: "dense", data: Float64Array.from(counts), shape: [nCells, nGenes] },
    obs: { index: Array.from({ length: nCells }, (_, i) => `c${i}`), columns },
    var: Array.from({ length: nGenes }, (_, g) => `gene${g}`),
  });
  const path = join(dir, "tenx");
  write10x(path, ad);
  return path;
}
