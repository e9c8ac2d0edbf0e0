/**
 * The DE tables the DE plots accept, reduced to rows: the NB-GLM / method-of-moments table
 * of `nbTest`/`momTest` (log2 fold change, p-value, BH-adjusted p-value) and Bayesian DE
 * tables (posterior mean of the log-ratio and its local false sign rate, SCRIBE `scribe.de`), whose
 * significance column is the lfsr instead of padj.
 * @module
 */
import type { DeTable } from "../de/tests.js";

/** A Bayesian DE table (columns of `scribe compare`'s CSV): Δ's posterior mean and its lfsr. */
export interface BayesianDeTableLike {
  /** Gene names. */
  readonly gene: readonly string[];
  /** Posterior mean of Δ (a log-ratio). */
  readonly mean: ArrayLike<number>;
  /** Local false sign rate of Δ. */
  readonly lfsr: ArrayLike<number>;
}

/** A table the DE plots draw. */
export type DePlotTable = DeTable | BayesianDeTableLike;

/** One drawable gene. */
export interface DePlotRow {
  /** Gene name. */
  gene: string;
  /** Row of the gene in the table. */
  row: number;
  /** Effect: log2FC (NB-GLM) or the posterior mean of Δ (Bayesian). */
  effect: number;
  /** Significance: padj (NB-GLM) or lfsr (Bayesian). */
  significance: number;
  /** Raw p-value (NB-GLM only; NaN otherwise). */
  pval: number;
}

/** Rows of a table with what the plots call them. */
export interface DePlotRows {
  /** The drawable genes (finite effect and significance), in table order. */
  rows: DePlotRow[];
  /** Genes left out because a value was missing (NaN), e.g. filtered all-zero genes. */
  dropped: number;
  /** `"padj"` or `"lfsr"`. */
  significanceName: "padj" | "lfsr";
  /** Axis title of the effect. */
  effectTitle: string;
  /** Whether the table is Bayesian. */
  bayesian: boolean;
}

/** True for a Bayesian DE table (has `lfsr`). */
export function isBayesianTable(t: DePlotTable): t is BayesianDeTableLike {
  return "lfsr" in t && !("padj" in t);
}

/** Check column lengths and reduce a table to drawable rows (NaN rows counted, not drawn). */
export function deRows(t: DePlotTable, where: string): DePlotRows {
  const bayes = isBayesianTable(t);
  const effect = bayes ? t.mean : t.log2FC;
  const sig = bayes ? t.lfsr : t.padj;
  const pval = bayes ? undefined : t.pval;
  const n = t.gene.length;
  if (n === 0) throw new Error(`${where}: the DE table has no rows`);
  const cols: [string, ArrayLike<number> | undefined][] = [
    [bayes ? "mean" : "log2FC", effect],
    [bayes ? "lfsr" : "padj", sig],
    ["pval", pval],
  ];
  for (const [name, c] of cols)
    if (c && c.length !== n)
      throw new Error(`${where}: column ${name} has ${c.length} values for ${n} genes`);
  const rows: DePlotRow[] = [];
  for (let i = 0; i < n; i++) {
    const e = Number(effect[i]);
    const s = Number(sig[i]);
    if (!Number.isFinite(e) || !Number.isFinite(s)) continue;
    if (s < 0 || s > 1)
      throw new Error(
        `${where}: gene ${t.gene[i]} (row ${i}) has ${bayes ? "lfsr" : "padj"} = ${s}, outside [0, 1]`,
      );
    rows.push({
      gene: t.gene[i]!,
      row: i,
      effect: e,
      significance: s,
      pval: pval ? Number(pval[i]) : Number.NaN,
    });
  }
  return {
    rows,
    dropped: n - rows.length,
    significanceName: bayes ? "lfsr" : "padj",
    effectTitle: bayes ? "posterior mean Δ (log ratio)" : "log2 fold change",
    bayesian: bayes,
  };
}

/** −log10 of a probability, floored at 1e−300 so that a zero stays finite and on the chart. */
export function negLog10(p: number): number {
  return -Math.log10(Math.max(p, 1e-300));
}
