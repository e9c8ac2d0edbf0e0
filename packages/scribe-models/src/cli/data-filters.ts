/**
 * The data options of `scribe fit` (SCRIBE's data config: `filter_obs`,
 * `subset_column`/`subset_value`, preprocessing `filter_cells`/`filter_genes`,
 * `highly_variable_genes`): which cells and genes of the loaded AnnData are fitted.
 * Applied in this order: obs filters, subset, `--min-genes` (cells), `--min-cells` (genes),
 * `--hvg` (genes, on the remaining raw counts).
 *
 * Node-only (through the CLI's data loader types).
 * @module
 */
import { type AnnData, subsetCells, subsetGenes } from "../io/anndata.js";
import { decodeCategorical, isCategorical } from "../io/node.js";
import type { LoadedData } from "./data.js";
import { forEachEntry, highlyVariableGenes } from "./hvg.js";
import { CliError, type CliIO, UsageError } from "./util.js";

/** Which cells and genes to keep. */
export interface DataFilters {
  /** `COL=VALUE` or `COL=V1,V2` (a cell is kept when its COL is one of the values); all must hold. */
  filterObs?: readonly string[];
  /** With {@link DataFilters.subsetValue}: keep the cells whose obs column equals the value. */
  subsetColumn?: string;
  /** The value of {@link DataFilters.subsetColumn} to keep. */
  subsetValue?: string;
  /** Keep genes with a non-zero count in at least this many cells. */
  minCells?: number;
  /** Keep cells with a non-zero count in at least this many genes. */
  minGenes?: number;
  /** Keep the N most variable genes (Seurat v3 on raw counts, see hvg.ts). */
  hvg?: number;
}

/** What {@link applyDataFilters} did, for the run's metadata and messages. */
export interface FilterReport {
  /** Cells and genes before any filter. */
  before: [number, number];
  /** Cells and genes fitted. */
  after: [number, number];
  /** One line per filter applied, e.g. `"min_genes 3: 60 → 57 cells"`. */
  steps: string[];
}

/** The string labels of an obs column (categoricals decoded; missing values null). */
function obsLabels(adata: AnnData, column: string, flag: string): (string | null)[] {
  const col = adata.obs.columns[column];
  if (!col)
    throw new CliError(
      `${flag}: obs has no column ${JSON.stringify(column)}; columns: ${Object.keys(adata.obs.columns).join(", ") || "(none)"}`,
    );
  if (isCategorical(col)) return decodeCategorical(col);
  return (col as unknown as unknown[]).map((v) =>
    v === null || v === undefined || (typeof v === "number" && Number.isNaN(v)) ? null : String(v),
  );
}

/** Split `COL=V1,V2` into the column and its accepted values. */
export function parseFilterObs(spec: string): { column: string; values: string[] } {
  const eq = spec.indexOf("=");
  if (eq <= 0 || eq === spec.length - 1)
    throw new UsageError(`--filter-obs expects COLUMN=VALUE (or COLUMN=V1,V2), got ${JSON.stringify(spec)}`);
  return { column: spec.slice(0, eq), values: spec.slice(eq + 1).split(",") };
}

function keepCells(
  adata: AnnData,
  keep: (i: number) => boolean,
  what: string,
  report: FilterReport,
): AnnData {
  const n = adata.obs.index.length;
  const idx = Array.from({ length: n }, (_, i) => i).filter(keep);
  if (idx.length === 0) throw new CliError(`${what}: no cells left (of ${n})`);
  report.steps.push(`${what}: ${n} → ${idx.length} cells`);
  return idx.length === n ? adata : subsetCells(adata, idx);
}

function keepGenes(adata: AnnData, idx: number[], what: string, report: FilterReport): AnnData {
  const n = adata.var.index.length;
  if (idx.length === 0) throw new CliError(`${what}: no genes left (of ${n})`);
  report.steps.push(`${what}: ${n} → ${idx.length} genes`);
  return idx.length === n ? adata : subsetGenes(adata, idx);
}

/**
 * Apply the filters to the matrix the fit reads (`layer`, or X). Errors name the option
 * and, when nothing is left, how many cells or genes there were.
 */
export function applyDataFilters(
  adata: AnnData,
  filters: DataFilters,
  layer?: string,
): { adata: AnnData; report: FilterReport } {
  const report: FilterReport = {
    before: [adata.obs.index.length, adata.var.index.length],
    after: [0, 0],
    steps: [],
  };
  const matrix = (a: AnnData) => {
    const m = layer === undefined ? a.X : a.layers[layer];
    if (!m) throw new CliError(`no layer ${JSON.stringify(layer)}`);
    return m;
  };
  let a = adata;
  for (const spec of filters.filterObs ?? []) {
    const { column, values } = parseFilterObs(spec);
    const labels = obsLabels(a, column, `--filter-obs ${spec}`);
    a = keepCells(a, (i) => labels[i] !== null && values.includes(labels[i]!), `filter_obs ${spec}`, report);
  }
  if ((filters.subsetColumn === undefined) !== (filters.subsetValue === undefined))
    throw new UsageError("--subset-column and --subset-value go together");
  if (filters.subsetColumn !== undefined) {
    const labels = obsLabels(a, filters.subsetColumn, "--subset-column");
    a = keepCells(
      a,
      (i) => labels[i] === filters.subsetValue,
      `subset ${filters.subsetColumn}=${filters.subsetValue}`,
      report,
    );
  }
  if (filters.minGenes !== undefined) {
    const detected = new Int32Array(a.obs.index.length);
    forEachEntry(matrix(a), (i, _, v) => {
      if (v !== 0) detected[i]!++;
    });
    a = keepCells(a, (i) => detected[i]! >= filters.minGenes!, `min_genes ${filters.minGenes}`, report);
  }
  if (filters.minCells !== undefined) {
    const detected = new Int32Array(a.var.index.length);
    forEachEntry(matrix(a), (_, j, v) => {
      if (v !== 0) detected[j]!++;
    });
    const idx = Array.from(detected.keys()).filter((j) => detected[j]! >= filters.minCells!);
    a = keepGenes(a, idx, `min_cells ${filters.minCells}`, report);
  }
  if (filters.hvg !== undefined) {
    let idx: number[];
    try {
      idx = highlyVariableGenes(matrix(a), filters.hvg);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    a = keepGenes(a, idx, `hvg ${filters.hvg} (Seurat v3)`, report);
  }
  report.after = [a.obs.index.length, a.var.index.length];
  return { adata: a, report };
}

/** Loaded data after the filters, with what they did (for `uns.scribe.preprocessing`). */
export interface FilteredData extends LoadedData {
  /** One line per filter applied. */
  filterSteps?: string[];
}

/** {@link applyDataFilters} on loaded data, reporting each step on stderr unless quiet. */
export function filterData(
  data: LoadedData,
  filters: DataFilters,
  layer: string | undefined,
  io: CliIO,
  quiet: boolean,
): FilteredData {
  if (Object.keys(filters).length === 0) return data;
  const { adata, report } = applyDataFilters(data.adata, filters, layer);
  if (!quiet) for (const step of report.steps) io.stderr(`scribe fit: ${step}\n`);
  return { ...data, adata, filterSteps: report.steps };
}
