/**
 * Per-gene model comparison (SCRIBE `scribe.mc` `gene_level_comparison`): from the draws × genes
 * log-likelihoods of two fits, each gene's WAIC elpd under both, their difference, the
 * posterior sd of the paired per-draw difference and a z-score saying which model the gene
 * favours.
 * @module
 */
import { type LogLikMatrix, waic } from "@scribe/infer";

/** One gene of {@link geneLevelComparison}. */
export interface GeneComparisonRow {
  /** Gene index and name. */
  readonly gene: number;
  readonly name: string;
  /** Per-gene elpd_waic under model A and model B. */
  readonly elpdA: number;
  readonly elpdB: number;
  /** elpdA − elpdB. */
  readonly elpdDiff: number;
  /** sd over draws of ℓ_A,sg − ℓ_B,sg (divisor S − 1): a posterior sd, not a CLT SE. */
  readonly sdDiff: number;
  /** elpdDiff / sdDiff. */
  readonly z: number;
  /** The model with the larger elpd. */
  readonly favours: string;
}

/**
 * Compare two fits gene by gene; rows sorted by |z|, largest first. Both matrices must have
 * the same draws count and genes. WAIC uses `loo`'s variance (divisor S − 1).
 * @example
 * const rows = geneLevelComparison(llA.perGene!, llB.perGene!, { names: ["nbdm", "zinb"], geneNames });
 */
export function geneLevelComparison(
  a: LogLikMatrix,
  b: LogLikMatrix,
  opts: { names?: readonly [string, string]; geneNames?: readonly string[] } = {},
): GeneComparisonRow[] {
  if (a.nObs !== b.nObs) throw new Error(`geneLevelComparison: ${a.nObs} genes vs ${b.nObs} genes`);
  if (a.nDraws !== b.nDraws)
    throw new Error(
      `geneLevelComparison: ${a.nDraws} draws vs ${b.nDraws} draws; use the same number of posterior draws`,
    );
  const [nameA, nameB] = opts.names ?? ["A", "B"];
  const G = a.nObs;
  const S = a.nDraws;
  const ea = waic(a).pointwise.elpdWaic;
  const eb = waic(b).pointwise.elpdWaic;
  const rows: GeneComparisonRow[] = [];
  for (let g = 0; g < G; g++) {
    let mean = 0;
    for (let s = 0; s < S; s++) mean += a.data[s * G + g]! - b.data[s * G + g]!;
    mean /= S;
    let ss = 0;
    for (let s = 0; s < S; s++) ss += (a.data[s * G + g]! - b.data[s * G + g]! - mean) ** 2;
    const sd = Math.sqrt(ss / (S - 1));
    const diff = ea[g]! - eb[g]!;
    rows.push({
      gene: g,
      name: opts.geneNames?.[g] ?? String(g),
      elpdA: ea[g]!,
      elpdB: eb[g]!,
      elpdDiff: diff,
      sdDiff: sd,
      z: sd > 0 ? diff / sd : diff === 0 ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY,
      favours: diff >= 0 ? nameA : nameB,
    });
  }
  return rows.sort((x, y) => Math.abs(y.z) - Math.abs(x.z) || x.gene - y.gene);
}
