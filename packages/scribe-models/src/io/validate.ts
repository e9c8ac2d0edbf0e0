/**
 * Validation of count matrices before fitting: values must be finite non-negative integers,
 * and (unless asked otherwise) every cell and gene must have at least one count.
 *
 * Browser-safe: no `node:` imports.
 * @module
 */
import { type AnnData, subsetCells, subsetGenes } from "./anndata.js";
import { checkMatrix, colSums, type Matrix, rowSums, selectCols, selectRows } from "./matrix.js";

/** The largest integer that float32 stores exactly (and every integer below it): 2^24. */
export const FLOAT32_EXACT_MAX = 2 ** 24;

/** Options for {@link validateCounts}. */
export interface ValidateCountsOptions {
  /** Drop all-zero cells and genes instead of throwing; the result reports what was dropped. */
  filterEmpty?: boolean;
  /** Keep all-zero cells and genes without complaint (default `false`). */
  allowEmpty?: boolean;
  /** Require integer values (default `true`); set `false` for e.g. expected counts. */
  requireInteger?: boolean;
  /** Validate this layer of an AnnData instead of `X`. */
  layer?: string;
  /**
   * Largest count accepted (default: no limit). A fit in float32 keeps counts exact only up to
   * 2^24 = 16 777 216 ({@link FLOAT32_EXACT_MAX}); larger ones would be rounded silently.
   */
  maxCount?: number;
  /** Cell names for messages when validating a bare matrix. */
  obsNames?: readonly string[];
  /** Gene names for messages when validating a bare matrix. */
  varNames?: readonly string[];
}

/** What {@link validateCounts} returns: the (possibly filtered) input and what was dropped. */
export interface ValidateCountsResult<T> {
  /** The input, or a filtered copy when `filterEmpty` dropped something. */
  readonly data: T;
  /** Positions (in the input) of dropped all-zero cells. */
  readonly droppedCells: number[];
  /** Positions (in the input) of dropped all-zero genes. */
  readonly droppedGenes: number[];
  /** Names of the dropped cells. */
  readonly droppedCellNames: string[];
  /** Names of the dropped genes. */
  readonly droppedGeneNames: string[];
  /** One-line human-readable summary (e.g. "dropped 6 empty cells and 26 empty genes"). */
  readonly summary: string;
}

function isAnnData(x: AnnData | Matrix): x is AnnData {
  return (x as AnnData).obs !== undefined && (x as AnnData).X !== undefined;
}

function nameOf(names: readonly string[] | undefined, i: number): string {
  return names && i < names.length ? JSON.stringify(names[i]) : `#${i}`;
}

function listNames(names: readonly string[] | undefined, idx: number[], max = 5): string {
  const shown = idx.slice(0, max).map((i) => nameOf(names, i));
  return shown.join(", ") + (idx.length > max ? `, … (${idx.length - max} more)` : "");
}

/** Iterate over stored entries as (row, col, value). */
function forEachEntry(m: Matrix, f: (i: number, j: number, v: number) => void): void {
  if (m.format === "dense") {
    const c = m.shape[1];
    for (let k = 0; k < m.data.length; k++) f(Math.floor(k / c), k % c, m.data[k]!);
    return;
  }
  // The caller ran checkMatrix, so indptr is monotone and every k indexes indices and data.
  const nMajor = m.indptr.length - 1;
  for (let a = 0; a < nMajor; a++) {
    for (let k = m.indptr[a]!; k < m.indptr[a + 1]!; k++) {
      if (m.format === "csr") f(a, m.indices[k]!, m.data[k]!);
      else f(m.indices[k]!, a, m.data[k]!);
    }
  }
}

/**
 * Check that a count matrix holds finite, non-negative integers and has no all-zero cells or
 * genes. On bad values it throws an error naming the first offending cell, gene and value and
 * how many such entries exist. On empty cells/genes it throws (saying how many and suggesting
 * `{ filterEmpty: true }`), or with `filterEmpty` drops them and reports what was dropped.
 *
 * @param input an AnnData (cells × genes `X` or `options.layer`) or a bare cells × genes matrix.
 */
export function validateCounts(
  input: AnnData,
  options?: ValidateCountsOptions,
): ValidateCountsResult<AnnData>;
export function validateCounts(input: Matrix, options?: ValidateCountsOptions): ValidateCountsResult<Matrix>;
export function validateCounts(
  input: AnnData | Matrix,
  options: ValidateCountsOptions = {},
): ValidateCountsResult<AnnData | Matrix> {
  const ad = isAnnData(input) ? input : undefined;
  let m: Matrix = ad ? ad.X : (input as Matrix);
  if (ad && options.layer !== undefined) {
    const layer = ad.layers[options.layer];
    if (!layer) throw new Error(`validateCounts: no layer ${JSON.stringify(options.layer)}`);
    m = layer;
  }
  const obsNames = ad ? ad.obs.index : options.obsNames;
  const varNames = ad ? ad.var.index : options.varNames;
  const requireInteger = options.requireInteger ?? true;

  const maxCount = options.maxCount ?? Infinity;
  let nNeg = 0;
  let nFrac = 0;
  let nNonFinite = 0;
  let nLarge = 0;
  let first: { i: number; j: number; v: number } | undefined;
  checkMatrix(m, ad ? "validateCounts: X" : "validateCounts: matrix");
  forEachEntry(m, (i, j, v) => {
    let bad = true;
    if (!Number.isFinite(v)) nNonFinite++;
    else if (v < 0) nNeg++;
    else if (requireInteger && !Number.isInteger(v)) nFrac++;
    else if (v > maxCount) nLarge++;
    else bad = false;
    if (bad && first === undefined) first = { i, j, v };
  });
  const nBad = nNeg + nFrac + nNonFinite + nLarge;
  if (first !== undefined) {
    const kinds = [
      nNeg ? `${nNeg} negative` : "",
      nFrac ? `${nFrac} non-integer` : "",
      nNonFinite ? `${nNonFinite} non-finite` : "",
      nLarge
        ? `${nLarge} above ${maxCount}${maxCount === FLOAT32_EXACT_MAX ? " = 2^24, the largest count float32 stores exactly" : ""}`
        : "",
    ].filter(Boolean);
    throw new Error(
      `validateCounts: ${nBad} ${nBad === 1 ? "entry is not a valid count" : "entries are not valid counts"} (${kinds.join(", ")}); ` +
        `first: cell ${nameOf(obsNames, first.i)} (row ${first.i}), gene ${nameOf(varNames, first.j)} (column ${first.j}), ` +
        `value ${first.v}. Counts must be finite, non-negative${requireInteger ? " integers" : " numbers"}` +
        `${Number.isFinite(maxCount) ? ` no larger than ${maxCount}` : ""}.`,
    );
  }

  const cellTotals = rowSums(m);
  const geneTotals = colSums(m);
  const emptyCells = Array.from(cellTotals.keys()).filter((i) => cellTotals[i] === 0);
  const emptyGenes = Array.from(geneTotals.keys()).filter((j) => geneTotals[j] === 0);
  const result = (
    data: AnnData | Matrix,
    dc: number[],
    dg: number[],
  ): ValidateCountsResult<AnnData | Matrix> => {
    const parts = [
      dc.length ? `${dc.length} empty cell${dc.length === 1 ? "" : "s"}` : "",
      dg.length ? `${dg.length} empty gene${dg.length === 1 ? "" : "s"}` : "",
    ].filter(Boolean);
    return {
      data,
      droppedCells: dc,
      droppedGenes: dg,
      droppedCellNames: dc.map((i) => obsNames?.[i] ?? String(i)),
      droppedGeneNames: dg.map((j) => varNames?.[j] ?? String(j)),
      summary: parts.length ? `dropped ${parts.join(" and ")}` : "nothing dropped",
    };
  };
  if ((emptyCells.length === 0 && emptyGenes.length === 0) || options.allowEmpty)
    return result(input, [], []);
  if (!options.filterEmpty) {
    const parts: string[] = [];
    if (emptyCells.length) {
      parts.push(
        `${emptyCells.length} cell${emptyCells.length === 1 ? " has" : "s have"} zero total counts (${listNames(obsNames, emptyCells)})`,
      );
    }
    if (emptyGenes.length) {
      parts.push(
        `${emptyGenes.length} gene${emptyGenes.length === 1 ? " is" : "s are"} zero in every cell (${listNames(varNames, emptyGenes)})`,
      );
    }
    throw new Error(
      `validateCounts: ${parts.join("; ")}. Pass { filterEmpty: true } to drop them, or { allowEmpty: true } to keep them.`,
    );
  }
  const keepCells = Array.from(cellTotals.keys()).filter((i) => cellTotals[i] !== 0);
  const keepGenes = Array.from(geneTotals.keys()).filter((j) => geneTotals[j] !== 0);
  if (ad) {
    let out = ad;
    if (emptyCells.length) out = subsetCells(out, keepCells);
    if (emptyGenes.length) out = subsetGenes(out, keepGenes);
    return result(out, emptyCells, emptyGenes);
  }
  let out = m;
  if (emptyCells.length) out = selectRows(out, keepCells);
  if (emptyGenes.length) out = selectCols(out, keepGenes);
  return result(out, emptyCells, emptyGenes);
}
