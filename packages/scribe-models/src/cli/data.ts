/**
 * Loading a data set for the command line: an `.h5ad` file or a 10x folder into an
 * {@link AnnData}, the sample labels of an `obs` column, and the genes × samples
 * count matrix the DE code wants, with one-line errors for every way this can fail.
 *
 * Node-only.
 * @module
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import type { CountMatrix } from "../de/index.js";
import type { AnnData, Column, Matrix } from "../io/node.js";
import {
  decodeCategorical,
  h5adRawShape,
  isCategorical,
  MissingXError,
  read10x,
  readH5ad,
  validateCounts,
} from "../io/node.js";
import { CliError } from "./util.js";

/** Where a data set came from, for messages. */
export type DataKind = "h5ad" | "10x";

/** A loaded data set. */
export interface LoadedData {
  /** The AnnData (cells/samples × genes). */
  adata: AnnData;
  /** `"h5ad"` or `"10x"`. */
  kind: DataKind;
  /**
   * The shape of an `.h5ad`'s `.raw` when it has one and X was not read from it (so messages
   * offer `--raw` only where it exists); absent for 10x folders.
   */
  rawShape?: [number, number] | null;
}

/** `.raw`'s shape for messages; a file whose `.raw` cannot be inspected offers no `--raw`. */
async function rawShapeForHints(path: string): Promise<[number, number] | null> {
  try {
    return await h5adRawShape(path);
  } catch {
    return null;
  }
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether `path` starts with the HDF5 signature (at 0, 512, 1024, … as the format allows). */
function isHdf5(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const size = statSync(path).size;
    const buf = Buffer.alloc(8);
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      if (readSync(fd, buf, 0, 8, off) === 8 && HDF5_SIGNATURE.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Options of {@link loadData}. */
export interface LoadDataOptions {
  /** `.h5ad` only: use `.raw` (raw/X with raw/var) as the matrix (`--raw`). */
  raw?: boolean;
  /** The layer the command will read (`--layer`); lets a file without X be read. */
  layer?: string;
}

/**
 * Read `path`: a directory is a 10x folder (`matrix.mtx`, `features.tsv`/`genes.tsv`,
 * `barcodes.tsv`, optional `obs.tsv` joined on barcode), anything else an `.h5ad` file.
 * Counts are read as float64. A file without X is an error listing its layers and `.raw`
 * with the options that read them; a damaged file is one line ("truncated or corrupt").
 */
export async function loadData(path: string, options: LoadDataOptions = {}): Promise<LoadedData> {
  if (!existsSync(path)) throw new CliError(`no such file or directory: ${path}`);
  const isDir = statSync(path).isDirectory();
  if (isDir && options.raw) throw new CliError(`--raw applies to .h5ad files; ${path} is a 10x folder`);
  try {
    if (isDir) return { adata: read10x(path, { dtype: "float64" }), kind: "10x" };
    if (!isHdf5(path)) throw new Error("not an HDF5 file (DATA must be an .h5ad file or a 10x folder)");
    if (options.raw) return { adata: await readH5ad(path, { xSource: "raw" }), kind: "h5ad" };
    try {
      const adata = await readH5ad(path);
      return { adata, kind: "h5ad", rawShape: await rawShapeForHints(path) };
    } catch (err) {
      // no X: the layer the command reads stands in for it (a missing layer is reported later)
      if (
        !(err instanceof MissingXError) ||
        options.layer === undefined ||
        !err.layers.includes(options.layer)
      )
        throw err;
      const adata = await readH5ad(path, { xSource: { layer: options.layer } });
      return { adata, kind: "h5ad", rawShape: err.raw?.shape ?? null };
    }
  } catch (err) {
    if (err instanceof MissingXError) {
      const offers = [
        err.layers.length ? `--layer NAME (layers: ${err.layers.join(", ")})` : "",
        err.raw ? `--raw (.raw: ${err.raw.shape[0]} × ${err.raw.shape[1]})` : "",
      ].filter(Boolean);
      throw new CliError(
        `cannot read ${path}: it has no X matrix; ${offers.length ? `use ${offers.join(" or ")}` : "it has no layers and no .raw either"}`,
      );
    }
    throw new CliError(
      `cannot read ${path}: ${((err as Error).message ?? String(err)).replace(/^readH5ad: [^:]*: /, "")}`,
    );
  }
}

/**
 * Where else raw counts may be, offering only what the data set has: its layers (`--layer`)
 * and an `.h5ad`'s `.raw` (`--raw`). Empty when the matrix read was a layer already.
 */
function rawCountsHint(data: LoadedData, layer: string | undefined): string {
  if (layer !== undefined) return "";
  const layers = Object.keys(data.adata.layers);
  const offers = [
    layers.length ? `--layer NAME (layers: ${layers.join(", ")})` : "",
    data.rawShape ? `--raw (.raw: ${data.rawShape[0]} × ${data.rawShape[1]})` : "",
  ].filter(Boolean);
  return offers.length ? ` Raw counts elsewhere? Pass ${offers.join(" or ")}.` : "";
}

const MISSING = new Set(["", "NA", "NaN", "nan", "null", "None"]);

/** The labels of one column as strings (`null` where missing). */
function columnLabels(col: Column): (string | null)[] {
  if (isCategorical(col)) return decodeCategorical(col);
  return (col as (string | number | boolean)[]).map((v) => {
    const s = String(v);
    return MISSING.has(s) ? null : s;
  });
}

/** Per-sample labels of an `obs` column with the sorted distinct levels. */
export interface ConditionLabels {
  /** One label per obs row (`null` where missing). */
  labels: (string | null)[];
  /** Distinct non-missing labels, sorted. */
  levels: string[];
  /** Number of rows with a missing label. */
  nMissing: number;
}

/**
 * The labels of `obs[column]`. A missing column is a {@link CliError} listing the
 * available ones (and, for a 10x folder, pointing to `obs.tsv`).
 */
export function conditionLabels(data: LoadedData, column: string): ConditionLabels {
  const cols = data.adata.obs.columns;
  if (!Object.hasOwn(cols, column)) {
    const have = Object.keys(cols);
    const list = have.length ? have.join(", ") : "(none)";
    const hint = data.kind === "10x" ? " (a 10x folder takes obs columns from obs.tsv)" : "";
    throw new CliError(`obs has no column "${column}"; available columns: ${list}${hint}`);
  }
  const labels = columnLabels(cols[column]!);
  const levels = [...new Set(labels.filter((l): l is string => l !== null))].sort();
  return { labels, levels, nMissing: labels.filter((l) => l === null).length };
}

/** Options of {@link countMatrix}. */
export interface CountMatrixOptions {
  /** Largest count accepted (e.g. `FLOAT32_EXACT_MAX` for a float32 fit). */
  maxCount?: number;
}

/**
 * The count matrix (`X` or `layer`) after checking it holds counts: finite,
 * non-negative integers (no larger than `maxCount` when given). Errors are one line and name
 * the first bad entry.
 */
export function countMatrix(
  data: LoadedData,
  layer: string | undefined,
  options: CountMatrixOptions = {},
): Matrix {
  const { adata } = data;
  let m = adata.X;
  const what = layer === undefined ? "X" : `layer "${layer}"`;
  if (layer !== undefined) {
    const l = adata.layers[layer];
    if (!l) {
      const have = Object.keys(adata.layers);
      throw new CliError(
        `no layer "${layer}"; available layers: ${have.length ? have.join(", ") : "(none)"}`,
      );
    }
    m = l;
  }
  try {
    validateCounts(m, {
      allowEmpty: true,
      obsNames: adata.obs.index,
      varNames: adata.var.index,
      ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
    });
  } catch (err) {
    const msg = (err as Error).message.replace(/^validateCounts: /, "");
    throw new CliError(`${what} is not count data: ${msg}${rawCountsHint(data, layer)}`);
  }
  return m;
}

/**
 * Transpose the cells × genes matrix `m`, restricted to the rows `samples` (in that
 * order), into the genes × samples row-major {@link CountMatrix} of the DE code.
 */
export function genesBySamples(
  m: Matrix,
  samples: readonly number[],
  geneNames: readonly string[],
  sampleNames: readonly string[],
): CountMatrix {
  const [nRows, G] = m.shape;
  const n = samples.length;
  const pos = new Int32Array(nRows).fill(-1);
  samples.forEach((r, i) => {
    pos[r] = i;
  });
  const data = new Float64Array(G * n);
  if (m.format === "dense") {
    for (let i = 0; i < n; i++) {
      const off = samples[i]! * G;
      for (let g = 0; g < G; g++) data[g * n + i] = m.data[off + g]!;
    }
  } else if (m.format === "csr") {
    for (let i = 0; i < n; i++) {
      const r = samples[i]!;
      for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) data[m.indices[k]! * n + i]! += m.data[k]!;
    }
  } else {
    for (let g = 0; g < G; g++) {
      for (let k = m.indptr[g]!; k < m.indptr[g + 1]!; k++) {
        const i = pos[m.indices[k]!]!;
        if (i >= 0) data[g * n + i]! += m.data[k]!;
      }
    }
  }
  return {
    data,
    nGenes: G,
    nSamples: n,
    genes: [...geneNames],
    samples: samples.map((r) => sampleNames[r]!),
  };
}
