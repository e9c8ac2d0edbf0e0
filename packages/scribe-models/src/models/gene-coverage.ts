/**
 * Gene coverage (SCRIBE `gene_coverage`, see docs/SOURCES.md): keep the smallest set of genes
 * that, taken in descending order of their share of all counts, reaches a cumulative fraction
 * of the counts; the other genes are summed into one trailing `_other` column. The kept genes
 * stay in their original order (ties in the ranking go to the lower index), so the fitted
 * genes line up with the data's; without genes to pool there is no `_other` column.
 * @module
 */
import type { AnnData } from "../io/anndata.js";
import { createAnnData } from "../io/anndata.js";
import { toDense } from "../io/matrix.js";

/** Name of the pooled column. */
export const GENE_COVERAGE_OTHER = "_other";

/** Which genes are kept and which are pooled (original indices, ascending). */
export interface GeneCoverageSelection {
  readonly kept: number[];
  readonly pooled: number[];
}

/**
 * The genes to keep for cumulative count fraction `fraction` ∈ (0, 1], from per-gene totals.
 * @example
 * geneCoverageSelection([10, 60, 30], 0.85); // { kept: [1, 2], pooled: [0] } (60 + 30 ≥ 85 % of 100)
 */
export function geneCoverageSelection(totals: ArrayLike<number>, fraction: number): GeneCoverageSelection {
  if (!(fraction > 0 && fraction <= 1))
    throw new Error(`geneCoverage must be a fraction in (0, 1], got ${fraction}`);
  const G = totals.length;
  if (G === 0) throw new Error("geneCoverage: no genes");
  let all = 0;
  for (let g = 0; g < G; g++) {
    const t = Number(totals[g]);
    if (!(t >= 0)) throw new Error(`geneCoverage: gene ${g} has total ${t}`);
    all += t;
  }
  const order = Array.from({ length: G }, (_, g) => g).sort(
    (a, b) => Number(totals[b]) - Number(totals[a]) || a - b,
  );
  const keep = new Set<number>();
  let cum = 0;
  for (const g of order) {
    if (keep.size > 0 && cum >= fraction * all) break;
    keep.add(g);
    cum += Number(totals[g]);
  }
  const kept: number[] = [];
  const pooled: number[] = [];
  for (let g = 0; g < G; g++) (keep.has(g) ? kept : pooled).push(g);
  return { kept, pooled };
}

/** Row-major counts [C, G] → [C, kept + 1] (kept columns, then the sum of the pooled ones), or [C, kept] without pooled genes. */
export function poolGeneColumns(
  data: ArrayLike<number>,
  shape: readonly [number, number],
  sel: GeneCoverageSelection,
): Float32Array {
  const [C, G] = shape;
  const W = sel.kept.length + (sel.pooled.length > 0 ? 1 : 0);
  const out = new Float32Array(C * W);
  for (let c = 0; c < C; c++) {
    const row = c * G;
    sel.kept.forEach((g, j) => {
      out[c * W + j] = Number(data[row + g]);
    });
    if (sel.pooled.length > 0) {
      let s = 0;
      for (const g of sel.pooled) s += Number(data[row + g]);
      out[c * W + W - 1] = s;
    }
  }
  return out;
}

/** Per-gene totals of row-major counts [C, G] (float64). */
export function geneTotals(data: ArrayLike<number>, shape: readonly [number, number]): Float64Array {
  const [C, G] = shape;
  const t = new Float64Array(G);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) t[g]! += Number(data[c * G + g]);
  return t;
}

/**
 * Host counts after gene coverage: the pooled matrix, its gene names (kept names, then
 * {@link GENE_COVERAGE_OTHER}) and the selection.
 */
export function applyGeneCoverage(
  data: ArrayLike<number>,
  shape: readonly [number, number],
  varNames: readonly string[] | undefined,
  fraction: number,
): { data: Float32Array; shape: [number, number]; varNames: string[]; selection: GeneCoverageSelection } {
  const sel = geneCoverageSelection(geneTotals(data, shape), fraction);
  const names = varNames ?? Array.from({ length: shape[1] }, (_, g) => String(g));
  if (names.includes(GENE_COVERAGE_OTHER) && sel.pooled.length > 0)
    throw new Error(`geneCoverage: the data already has a gene named ${GENE_COVERAGE_OTHER}`);
  const out = poolGeneColumns(data, shape, sel);
  const W = sel.kept.length + (sel.pooled.length > 0 ? 1 : 0);
  return {
    data: out,
    shape: [shape[0], W],
    varNames: [...sel.kept.map((g) => names[g]!), ...(sel.pooled.length > 0 ? [GENE_COVERAGE_OTHER] : [])],
    selection: sel,
  };
}

/**
 * An AnnData with gene coverage applied to its counts (X, or `layer`): X (and `layer`, when
 * given, so readers of that layer see the same counts) is the pooled dense float32 matrix,
 * `var` keeps the kept genes' names (columns other than the index are dropped: `_other` has
 * no values for them), obs and uns are kept, other layers dropped.
 */
export function geneCoverageAnnData(
  adata: AnnData,
  fraction: number,
  layer?: string,
): { adata: AnnData; selection: GeneCoverageSelection } {
  const m = layer === undefined ? adata.X : adata.layers[layer];
  if (!m) throw new Error(`geneCoverage: no layer ${JSON.stringify(layer)}`);
  const d = toDense(m, "float32");
  const shape: [number, number] = [d.shape[0], d.shape[1]];
  const r = applyGeneCoverage(d.data as ArrayLike<number>, shape, adata.var.index, fraction);
  const X = { format: "dense" as const, data: r.data, shape: r.shape };
  return {
    adata: createAnnData({
      X,
      ...(layer !== undefined ? { layers: { [layer]: X } } : {}),
      obs: adata.obs,
      var: r.varNames,
      uns: adata.uns,
    }),
    selection: r.selection,
  };
}
