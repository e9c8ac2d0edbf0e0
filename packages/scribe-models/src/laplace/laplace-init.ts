/**
 * Starting values of the Laplace engine, computed on the host from a log transform of the
 * counts: μ = the per-gene mean, W = the leading principal directions scaled to the sample
 * covariance (randomized range finder of `de/bayesian/randomized-svd.ts`), d = the variance
 * W does not explain (floored), and the first modes x⁰ = the transformed counts themselves.
 * A PCA start puts the outer Adam near the optimum, so the EM needs few outer steps.
 * @module
 */
import { key } from "@scribe/core";
import { topRightFactors } from "../de/bayesian/randomized-svd.js";

/** Starting globals (row-major Float64Arrays). */
export interface LaplaceStart {
  readonly mu: Float64Array;
  /** [G', rank] row-major. */
  readonly W: Float64Array;
  readonly d: Float64Array;
}

/**
 * PCA start from transformed values z (C × G', row-major; not modified).
 * @example
 * const s = laplaceStart(new Float64Array([0, 1, 2, 1, 0, 3, 1, 1, 2]), 3, 3, 1, 42);
 */
export function laplaceStart(
  z: Float64Array,
  nCells: number,
  dim: number,
  rank: number,
  seed: number,
): LaplaceStart {
  if (rank < 1 || rank > dim)
    throw new Error(`laplace: rank must be between 1 and the latent dimension ${dim}, got ${rank}`);
  const mu = new Float64Array(dim);
  for (let c = 0; c < nCells; c++) for (let g = 0; g < dim; g++) mu[g]! += z[c * dim + g]! / nCells;
  const centred = new Float64Array(nCells * dim);
  const variance = new Float64Array(dim);
  for (let c = 0; c < nCells; c++)
    for (let g = 0; g < dim; g++) {
      const v = z[c * dim + g]! - mu[g]!;
      centred[c * dim + g] = v;
      variance[g]! += (v * v) / nCells;
    }
  const F = topRightFactors(centred, nCells, dim, rank, key(seed));
  const r = F.length / dim; // may be below rank when cells are few
  const W = new Float64Array(dim * rank);
  const d = new Float64Array(dim);
  const scale = 1 / Math.sqrt(nCells);
  for (let g = 0; g < dim; g++) {
    let explained = 0;
    for (let j = 0; j < rank; j++) {
      // Columns beyond the range finder's start small but non-zero, so they can grow.
      const w = j < r ? F[g * r + j]! * scale : 0.01 * (((g + j) % 2) * 2 - 1);
      W[g * rank + j] = w;
      explained += w * w;
    }
    d[g] = Math.max(variance[g]! - explained, 0.05 * variance[g]!, 1e-2);
  }
  return { mu, W, d };
}
