/**
 * Mean anchoring (SCRIBE `expression_anchor=True`, see docs/SOURCES.md): per-gene prior centres
 * of mu from the data, c_g = log((ū_g + 1e−3)/ν̄), with ū_g the gene's mean count over cells and
 * ν̄ = mean_c(L_c/M₀) the mean capture implied by the biology-informed capture prior (L_c =
 * max(Σ_g u_cg, 1), M₀ = exp(log_M0)) for VCP models, 1 otherwise. The centres enter the prior
 * in `sites.ts` (`anchoredLoc`).
 * @module
 */
import type { Tensor } from "@scribe/core";

/** What the centres depend on besides the counts. */
export interface AnchorContext {
  /** Whether the model has per-cell capture. */
  readonly variableCapture: boolean;
  /** log M₀ of the biology-informed capture prior, or null (flat capture prior / no capture). */
  readonly logM0: number | null;
}

/**
 * What the centres need of the counts: each gene's sum over cells (float64, summed cell after
 * cell) and each cell's total. A backed fit accumulates them in its streaming pass over the file
 * (`io/backed-counts-node.ts`); {@link anchorTotals} computes them from a matrix in memory.
 */
export interface AnchorTotals {
  /** Σ_c u_cg per gene, [G]. */
  readonly geneSums: Float64Array;
  /** Σ_g u_cg per cell, [C] (exact integers for counts: float32 holds them to 2^24). */
  readonly cellTotals: ArrayLike<number>;
}

/** {@link AnchorTotals} of counts [C, G] (read once, with the one `await`). */
export async function anchorTotals(counts: Tensor): Promise<AnchorTotals> {
  if (counts.rank !== 2)
    throw new Error(`expressionAnchor: counts must be cells × genes, got shape [${counts.shape}]`);
  const [C, G] = counts.shape as [number, number];
  const v = (await counts.data()) as ArrayLike<number>;
  const geneSums = new Float64Array(G);
  const cellTotals = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let L = 0;
    for (let g = 0; g < G; g++) {
      const x = Number(v[c * G + g]);
      geneSums[g]! += x;
      L += x;
    }
    cellTotals[c] = L;
  }
  return { geneSums, cellTotals };
}

/**
 * The anchor centres log((ū_g + 1e−3)/ν̄), one per gene, from counts [C, G] or their
 * {@link AnchorTotals}. VCP models need the capture anchor M₀: without it the capture scale of
 * mu is not identified, and SCRIBE refuses the anchor.
 * @example
 * await expressionAnchorLoc(counts, { variableCapture: false, logM0: null }); // [log(ū_0 + 1e-3), …]
 */
export async function expressionAnchorLoc(
  counts: Tensor | AnchorTotals,
  ctx: AnchorContext,
): Promise<number[]> {
  if (ctx.variableCapture && ctx.logM0 === null)
    throw new Error(
      "expressionAnchor with a variable-capture model needs a capture anchor: set priors.organism or priors.capture_efficiency",
    );
  const { geneSums, cellTotals } = "geneSums" in counts ? counts : await anchorTotals(counts);
  const C = cellTotals.length;
  let nuSum = 0;
  if (ctx.logM0 !== null)
    for (let c = 0; c < C; c++) nuSum += Math.max(cellTotals[c]!, 1) / Math.exp(ctx.logM0);
  const nuBar = ctx.variableCapture && ctx.logM0 !== null ? nuSum / C : 1;
  return Array.from(geneSums, (s) => Math.log((s / C + 1e-3) / nuBar));
}
