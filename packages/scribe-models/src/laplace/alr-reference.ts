/**
 * The ALR reference gene of the LNM models, chosen as SCRIBE's `select_alr_reference` does
 * (SCRIBE logistic-normal families, ALR reference): among genes whose mean log1p(count) is at least the
 * median of those means, the one with the smallest variance over cells of
 * log((u_cg + 1) / (N_c + G)), N_c the cell's total. A stable, well-expressed reference keeps
 * the ALR coordinates well conditioned.
 * @module
 */

/**
 * Index of the ALR reference gene of a cells × genes count matrix (row-major).
 * @example
 * const ref = selectAlrReference(new Float32Array([5, 0, 9, 6, 1, 3]), 2, 3); // a gene index
 */
export function selectAlrReference(counts: ArrayLike<number>, nCells: number, nGenes: number): number {
  if (nGenes < 2) throw new Error(`selectAlrReference: need at least 2 genes, got ${nGenes}`);
  if (nCells < 1) throw new Error("selectAlrReference: no cells");
  if (counts.length !== nCells * nGenes)
    throw new Error(`selectAlrReference: ${counts.length} values for ${nCells} × ${nGenes} cells × genes`);
  const meanLog = new Float64Array(nGenes);
  const totals = new Float64Array(nCells);
  for (let c = 0; c < nCells; c++)
    for (let g = 0; g < nGenes; g++) {
      const u = counts[c * nGenes + g]!;
      totals[c]! += u;
      meanLog[g]! += Math.log1p(u) / nCells;
    }
  const sorted = Float64Array.from(meanLog).sort();
  // 50th percentile with linear interpolation (numpy's default)
  const pos = 0.5 * (nGenes - 1);
  const lo = Math.floor(pos);
  const median = sorted[lo]! + (pos - lo) * ((sorted[Math.min(lo + 1, nGenes - 1)] ?? 0) - sorted[lo]!);
  let best = -1;
  let bestVar = Number.POSITIVE_INFINITY;
  for (let g = 0; g < nGenes; g++) {
    if (meanLog[g]! < median) continue;
    let s = 0;
    let s2 = 0;
    for (let c = 0; c < nCells; c++) {
      const v = Math.log((counts[c * nGenes + g]! + 1) / (totals[c]! + nGenes));
      s += v;
      s2 += v * v;
    }
    const variance = s2 / nCells - (s / nCells) ** 2;
    if (variance < bestVar) {
      bestVar = variance;
      best = g;
    }
  }
  return best;
}

/**
 * The genes of the ALR coordinates, in order: every gene but the reference (the engine's
 * latent axis; the reference is the observation's last column).
 * @example
 * alrLatentGenes(4, 1); // Int32Array [0, 2, 3]
 */
export function alrLatentGenes(nGenes: number, reference: number): Int32Array {
  return Int32Array.from({ length: nGenes - 1 }, (_, i) => (i < reference ? i : i + 1));
}
