/**
 * Where the biology-informed capture prior (SCRIBE capture prior,
 * `priors.organism` / `priors.capture_efficiency`) centres each cell: η_c = −log ν_c ~
 * TruncatedNormal(loc_c, σ_M, low 0) with
 *
 *   loc_c = centre − log max(L_c, 1),
 *
 * L_c the cell's total count and centre log M₀ (or the latent mu_eta under capture scaling,
 * per dataset with datasets). A cell with M₀ molecules observed as L_c counts has capture
 * L_c / M₀, i.e. η = log M₀ − log L_c; the floor keeps an empty cell's loc finite.
 *
 * The rule in two forms that share its constants: {@link etaPriorLocOfTotal} (host numbers,
 * the Laplace totals' per-cell integral) and {@link etaPriorLocs} (tensors, the SVI and VAE
 * models, the guides' starting point).
 * @module
 */
import { clamp, full, log, neg, type Tensor } from "@scribe/core";

/** Totals below this count as this (an empty cell's loc is the centre itself, not +∞). */
export const ETA_PRIOR_MIN_TOTAL = 1;
/** The loc used where no counts are given (prior predictive runs): the prior sits at ν ≈ e⁻¹. */
export const ETA_PRIOR_LOC_WITHOUT_COUNTS = 1;

/**
 * loc of one cell with total `total` (module doc).
 * @example
 * etaPriorLocOfTotal(Math.log(2e5), 1000); // log 200 ≈ 5.30
 */
export function etaPriorLocOfTotal(centre: number, total: number): number {
  return centre - Math.log(Math.max(total, ETA_PRIOR_MIN_TOTAL));
}

/**
 * loc of each of `nCells` cells, [nCells]: from the rows of `counts` [nCells, G] (module doc),
 * or {@link ETA_PRIOR_LOC_WITHOUT_COUNTS} for every cell when `counts` is null. `centre` is a
 * number, a scalar tensor, or one value per cell [nCells].
 * @example
 * // fragment
 * const loc = etaPriorLocs(Math.log(2e5), counts, counts.shape[0]);
 */
export function etaPriorLocs(centre: Tensor | number, counts: Tensor | null, nCells: number): Tensor {
  if (!counts) return full([nCells], ETA_PRIOR_LOC_WITHOUT_COUNTS);
  return neg(log(clamp(counts.sum(-1), ETA_PRIOR_MIN_TOTAL))).add(centre);
}
