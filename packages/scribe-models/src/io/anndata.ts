/**
 * An in-memory AnnData-like container: a cells × genes matrix with per-cell (`obs`) and
 * per-gene (`var`) tables, extra layers, multi-dimensional annotations and free metadata.
 *
 * Browser-safe: no `node:` imports.
 * @module
 */
import { type Column, type ColumnTable, checkTable, getColumn, subsetTable } from "./frame.js";
import { checkMatrix, type DenseMatrix, type Matrix, selectCols, selectRows, toDense } from "./matrix.js";

/** Typed arrays that can appear in `uns`. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** A multi-dimensional array in `uns` (row-major `data`). One-dimensional arrays are plain typed arrays. */
export interface NDArray {
  readonly kind: "ndarray";
  readonly data: TypedArray;
  readonly shape: number[];
}

/** Unstructured metadata: nested JSON-like values plus typed and multi-dimensional arrays. */
export type UnsValue =
  | string
  | number
  | boolean
  | string[]
  | number[]
  | boolean[]
  | TypedArray
  | NDArray
  | { [key: string]: UnsValue };

/** A cells × genes annotated data matrix, modelled on the AnnData format. */
export interface AnnData {
  /** Counts (or values): `shape = [nObs, nVars]`. */
  readonly X: Matrix;
  /** Per-cell table; `obs.index` are cell names. */
  readonly obs: ColumnTable;
  /** Per-gene table; `var.index` are gene names. */
  readonly var: ColumnTable;
  /** Extra matrices with the same shape as `X` (e.g. `"counts"`). */
  readonly layers: Record<string, Matrix>;
  /** Unstructured metadata. */
  readonly uns: Record<string, UnsValue>;
  /** Per-cell multi-dimensional annotations (e.g. embeddings), `shape[0] = nObs`. */
  readonly obsm?: Record<string, Matrix>;
  /** Per-gene multi-dimensional annotations, `shape[0] = nVars`. */
  readonly varm?: Record<string, Matrix>;
}

/** Parts accepted by {@link createAnnData}; everything but `X` is optional. */
export interface AnnDataInit {
  X: Matrix;
  obs?: ColumnTable | string[];
  var?: ColumnTable | string[];
  layers?: Record<string, Matrix>;
  uns?: Record<string, UnsValue>;
  obsm?: Record<string, Matrix>;
  varm?: Record<string, Matrix>;
}

/** Number of cells (observations). */
export function nObs(adata: AnnData): number {
  return adata.X.shape[0];
}

/** Number of genes (variables). */
export function nVars(adata: AnnData): number {
  return adata.X.shape[1];
}

function defaultNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

function asTable(t: ColumnTable | string[] | undefined, n: number): ColumnTable {
  if (t === undefined) return { index: defaultNames(n), columns: {} };
  if (Array.isArray(t)) return { index: t, columns: {} };
  return t;
}

/**
 * Build an {@link AnnData}, filling in defaults (`"0".."n-1"` names, empty tables) and
 * checking that all parts agree in shape. Throws a descriptive error otherwise.
 */
export function createAnnData(init: AnnDataInit): AnnData {
  const [n, g] = init.X.shape;
  const adata: AnnData = {
    X: init.X,
    obs: asTable(init.obs, n),
    var: asTable(init.var, g),
    layers: init.layers ?? {},
    uns: init.uns ?? {},
    ...(init.obsm ? { obsm: init.obsm } : {}),
    ...(init.varm ? { varm: init.varm } : {}),
  };
  checkAnnData(adata);
  return adata;
}

/** Check shapes and internal consistency of every part; throws on the first problem. */
export function checkAnnData(adata: AnnData): void {
  checkMatrix(adata.X, "X");
  const [n, g] = adata.X.shape;
  if (adata.obs.index.length !== n)
    throw new Error(`obs has ${adata.obs.index.length} rows but X has ${n} cells`);
  if (adata.var.index.length !== g)
    throw new Error(`var has ${adata.var.index.length} rows but X has ${g} genes`);
  checkTable(adata.obs, "obs");
  checkTable(adata.var, "var");
  for (const [k, m] of Object.entries(adata.layers)) {
    checkMatrix(m, `layers[${JSON.stringify(k)}]`);
    if (m.shape[0] !== n || m.shape[1] !== g) {
      throw new Error(`layers[${JSON.stringify(k)}] has shape [${m.shape}] but X has [${n}, ${g}]`);
    }
  }
  for (const [slot, rows] of [
    ["obsm", n],
    ["varm", g],
  ] as const) {
    for (const [k, m] of Object.entries(adata[slot] ?? {})) {
      checkMatrix(m, `${slot}[${JSON.stringify(k)}]`);
      if (m.shape[0] !== rows)
        throw new Error(`${slot}[${JSON.stringify(k)}] has ${m.shape[0]} rows, expected ${rows}`);
    }
  }
}

/** Options for {@link toDenseCounts}. */
export interface DenseCountsOptions {
  /** Read this layer instead of `X`. */
  layer?: string;
  /** Storage of the result (default `"float32"`). */
  dtype?: "float32" | "float64";
}

/** The count matrix as a dense row-major cells × genes array (`X` or a named layer). */
export function toDenseCounts(adata: AnnData, options: DenseCountsOptions = {}): DenseMatrix {
  let m = adata.X;
  if (options.layer !== undefined) {
    const layer = adata.layers[options.layer];
    if (!layer) {
      const have = Object.keys(adata.layers);
      throw new Error(
        `no layer ${JSON.stringify(options.layer)}; available: ${have.length ? have.join(", ") : "(none)"}`,
      );
    }
    m = layer;
  }
  return toDense(m, options.dtype ?? "float32");
}

/** A selection of rows: indices, names, or a boolean mask of the full length. */
export type Selection = ArrayLike<number> | readonly string[] | readonly boolean[];

/** Resolve a selection to integer positions against `names`; throws naming unknown entries. */
export function resolveSelection(sel: Selection, names: readonly string[], what: string): number[] {
  const arr = Array.from(sel as ArrayLike<number | string | boolean>);
  if (arr.length > 0 && typeof arr[0] === "boolean") {
    if (arr.length !== names.length)
      throw new Error(`${what} mask has ${arr.length} entries, expected ${names.length}`);
    return arr.flatMap((b, i) => (b ? [i] : []));
  }
  if (arr.length > 0 && typeof arr[0] === "string") {
    const pos = new Map<string, number>();
    names.forEach((nm, i) => {
      if (!pos.has(nm)) pos.set(nm, i);
    });
    return arr.map((nm) => {
      const i = pos.get(nm as string);
      if (i === undefined) throw new Error(`${what} ${JSON.stringify(nm)} not found`);
      return i;
    });
  }
  return arr.map((i) => {
    if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= names.length) {
      throw new Error(`${what} index ${String(i)} out of range [0, ${names.length})`);
    }
    return i;
  });
}

function mapRecord<T>(rec: Record<string, T> | undefined, f: (v: T) => T): Record<string, T> | undefined {
  return rec === undefined ? undefined : Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, f(v)]));
}

/** A new AnnData with only the selected cells (rows of X, layers, obs, obsm). `uns` is shared. */
export function subsetCells(adata: AnnData, cells: Selection): AnnData {
  const rows = resolveSelection(cells, adata.obs.index, "cell");
  const obsm = mapRecord(adata.obsm, (m) => selectRows(m, rows));
  return {
    X: selectRows(adata.X, rows),
    obs: subsetTable(adata.obs, rows),
    var: adata.var,
    layers: mapRecord(adata.layers, (m) => selectRows(m, rows)) ?? {},
    uns: adata.uns,
    ...(obsm ? { obsm } : {}),
    ...(adata.varm ? { varm: adata.varm } : {}),
  };
}

/** A new AnnData with only the selected genes (columns of X, layers; rows of var, varm). */
export function subsetGenes(adata: AnnData, genes: Selection): AnnData {
  const cols = resolveSelection(genes, adata.var.index, "gene");
  const varm = mapRecord(adata.varm, (m) => selectRows(m, cols));
  return {
    X: selectCols(adata.X, cols),
    obs: adata.obs,
    var: subsetTable(adata.var, cols),
    layers: mapRecord(adata.layers, (m) => selectCols(m, cols)) ?? {},
    uns: adata.uns,
    ...(adata.obsm ? { obsm: adata.obsm } : {}),
    ...(varm ? { varm } : {}),
  };
}

/** A per-cell column by name; the error lists the available `obs` columns. */
export function obsColumn(adata: AnnData, name: string): Column {
  return getColumn(adata.obs, name, "obs");
}

/** A per-gene column by name; the error lists the available `var` columns. */
export function varColumn(adata: AnnData, name: string): Column {
  return getColumn(adata.var, name, "var");
}
