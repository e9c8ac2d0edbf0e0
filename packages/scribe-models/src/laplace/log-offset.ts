/**
 * The per-cell log offset of PLN and NBLN (library size / size factor): cell c's log rate is
 * x_c + o_c, so x_c models expression at a common library size. SCRIBE's PLN and NBLN (SCRIBE
 * logistic-normal families) have only the capture offset −η_c; the library offset is ours, off
 * by default (SCRIBE's behaviour).
 * `"log-library"` sets o_c = log(max(N_c, 1) / N̄), N_c the cell's total and N̄ the mean total
 * of the fitted cells, so o averages near 0 and μ stays on the scale of a typical cell. The
 * rule is here once, in host and tensor forms: Laplace-EM computes it on the host, the VAE per
 * minibatch from the counts it scores (with N̄ fixed at fit time).
 * @module
 */
import type { Tensor } from "@scribe/core";

/** A log offset option: C values, "log-library", or none (null / undefined). */
export type LogOffsetOption = ArrayLike<number> | "log-library" | null | undefined;

/** The mean total N̄ the "log-library" offset divides by (host totals, one per cell). */
export function libraryMeanOf(totals: ArrayLike<number>, where: string): number {
  let sum = 0;
  for (let c = 0; c < totals.length; c++) sum += totals[c]!;
  const mean = sum / totals.length;
  if (!(mean > 0)) throw new Error(`${where}: logOffset "log-library" needs counts (every cell total is 0)`);
  return mean;
}

/** o = log(max(N, 1) / N̄) of one cell (host). */
export function logLibraryOffset(total: number, libraryMean: number): number {
  return Math.log(Math.max(total, 1) / libraryMean);
}

/** o = log(max(N, 1) / N̄) of cells with totals [B, 1] (tensor form of {@link logLibraryOffset}). */
export function logLibraryOffsetOf(totals: Tensor, libraryMean: number): Tensor {
  return totals.clamp(1).div(libraryMean).log();
}

/**
 * The host offsets [C] of an option (`totals` the cells' totals), or null for none; errors
 * name `where` and the offending cell.
 * @example
 * resolveLogOffset("log-library", Float64Array.from([50, 150]), "fit")!; // [log ½, log 1.5]
 */
export function resolveLogOffset(
  option: LogOffsetOption,
  totals: ArrayLike<number>,
  where: string,
): Float64Array | null {
  if (option === undefined || option === null) return null;
  const C = totals.length;
  if (option === "log-library") {
    const mean = libraryMeanOf(totals, where);
    return Float64Array.from({ length: C }, (_, c) => logLibraryOffset(totals[c]!, mean));
  }
  if (typeof option === "string")
    throw new Error(
      `${where}: logOffset must be "log-library" or ${C} numbers, got ${JSON.stringify(option)}`,
    );
  if (option.length !== C) throw new Error(`${where}: logOffset has ${option.length} values for ${C} cells`);
  const out = Float64Array.from(option);
  for (let c = 0; c < C; c++)
    if (!Number.isFinite(out[c]!)) throw new Error(`${where}: logOffset[${c}] is ${out[c]}`);
  return out;
}
