/**
 * The count-matrix type used by the DE code and its validation.
 * @module
 */

/**
 * A dense genes × samples count matrix, row-major (`data[g * nSamples + i]`), so
 * that each gene's counts are contiguous for the per-gene loops.
 */
export interface CountMatrix {
  /** Counts, length `nGenes * nSamples`, gene-major. */
  data: Float64Array;
  /** Number of genes (rows). */
  nGenes: number;
  /** Number of samples (columns). */
  nSamples: number;
  /** Optional gene names (length `nGenes`). */
  genes?: readonly string[];
  /** Optional sample names (length `nSamples`). */
  samples?: readonly string[];
}

/**
 * Check a count matrix: shapes, finiteness, non-negativity and (unless
 * `allowNonInteger`) integrality. Throws an error naming the first offending entry
 * and the fix.
 * @example
 * ```ts
 * validateCounts({ data: new Float64Array([1, 2, 3, 4]), nGenes: 2, nSamples: 2 });
 * ```
 */
export function validateCounts(counts: CountMatrix, allowNonInteger = false): void {
  const { data, nGenes, nSamples } = counts;
  if (!Number.isInteger(nGenes) || !Number.isInteger(nSamples) || nGenes < 1 || nSamples < 1) {
    throw new Error(`counts: nGenes (${nGenes}) and nSamples (${nSamples}) must be positive integers`);
  }
  if (data.length !== nGenes * nSamples) {
    throw new Error(
      `counts: data has length ${data.length} but nGenes × nSamples = ${nGenes} × ${nSamples} = ${nGenes * nSamples}; ` +
        "pass a genes × samples row-major Float64Array",
    );
  }
  if (counts.genes && counts.genes.length !== nGenes) {
    throw new Error(`counts: ${counts.genes.length} gene names for ${nGenes} genes`);
  }
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (!(v >= 0) || v === Infinity || (!allowNonInteger && v !== Math.floor(v))) {
      const g = Math.floor(k / nSamples);
      const i = k % nSamples;
      const name = counts.genes?.[g] ?? `gene ${g}`;
      const what = !Number.isFinite(v) ? "is not finite" : v < 0 ? "is negative" : "is not an integer";
      throw new Error(
        `counts: entry (${name}, sample ${i}) = ${v} ${what}; counts must be finite non-negative` +
          (allowNonInteger
            ? " numbers"
            : " integers (pass allowNonInteger: true for non-integer pseudo-counts)"),
      );
    }
  }
}

/** Gene names of a count matrix, or `gene0, gene1, …` when absent. */
export function geneNames(counts: CountMatrix): string[] {
  if (counts.genes) return [...counts.genes];
  return Array.from({ length: counts.nGenes }, (_, g) => `gene${g}`);
}
