/**
 * Read (and write) 10x Genomics MatrixMarket folders: `matrix.mtx` (genes × cells, 1-based),
 * `features.tsv` or `genes.tsv` (id, symbol[, type]), `barcodes.tsv`, each optionally
 * gzipped, plus an optional `obs.tsv` with a header whose first column is the barcode.
 *
 * Node-only: uses `node:fs`, `node:path` and `node:zlib`.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type AnnData, createAnnData } from "./anndata.js";
import type { Column } from "./frame.js";
import { formatMtx, readMtx } from "./mtx.js";

/** Options for {@link read10x}. */
export interface Read10xOptions {
  /** Use gene symbols (default) or gene ids as `var.index`. */
  varNames?: "symbol" | "id";
  /** Make `var.index` unique by appending `-1`, `-2`, … to repeats (default `true`). */
  makeUnique?: boolean;
  /** Storage for X values (default `"float32"`). */
  dtype?: "float32" | "float64";
  /** Join per-cell metadata from `obs.tsv` when present (default `true`). */
  readObs?: boolean;
}

/** Find `name` or `name.gz` in `dir`; returns the path or undefined. */
function locate(dir: string, ...names: string[]): string | undefined {
  for (const n of names) {
    for (const p of [join(dir, n), join(dir, `${n}.gz`)]) if (existsSync(p)) return p;
  }
  return undefined;
}

function readText(path: string): string {
  const buf = readFileSync(path);
  return new TextDecoder("utf-8").decode(path.endsWith(".gz") ? gunzipSync(buf) : buf);
}

/** Split a TSV file into rows of fields, skipping empty trailing lines; keeps 1-based line numbers. */
function tsvRows(path: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  readText(path)
    .split("\n")
    .forEach((raw, i) => {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line.trim() === "") return;
      rows.push({ line: i + 1, fields: line.split("\t") });
    });
  return rows;
}

/** Append `-1`, `-2`, … to repeated names (the first occurrence keeps its name). */
export function makeUniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  const taken = new Set(names);
  return names.map((n) => {
    const k = seen.get(n);
    if (k === undefined) {
      seen.set(n, 0);
      return n;
    }
    let j = k + 1;
    while (taken.has(`${n}-${j}`)) j++;
    seen.set(n, j);
    taken.add(`${n}-${j}`);
    return `${n}-${j}`;
  });
}

/** Type a text column: numbers (blank/NA → NaN), booleans, or strings. */
function typeColumn(values: string[]): Column {
  const isNa = (v: string) => v === "" || v === "NA" || v === "NaN" || v === "nan";
  if (values.every((v) => isNa(v) || (v.trim() !== "" && Number.isFinite(Number(v))))) {
    return values.map((v) => (isNa(v) ? Number.NaN : Number(v)));
  }
  if (values.every((v) => /^(true|false)$/i.test(v))) return values.map((v) => v.toLowerCase() === "true");
  return values;
}

function readObsTsv(path: string, barcodes: string[]): Record<string, Column> {
  const rows = tsvRows(path);
  if (rows.length === 0) throw new Error(`${path}:1: empty file (expected a header line)`);
  const header = rows[0]!.fields; // rows is non-empty (checked above)
  const byBarcode = new Map<string, string[]>();
  for (const { line, fields } of rows.slice(1)) {
    if (fields.length !== header.length) {
      throw new Error(
        `${path}:${line}: expected ${header.length} tab-separated fields (as in the header), got ${fields.length}`,
      );
    }
    const barcode = fields[0] ?? "";
    if (byBarcode.has(barcode))
      throw new Error(`${path}:${line}: barcode ${JSON.stringify(barcode)} appears twice`);
    byBarcode.set(barcode, fields);
  }
  const columns: Record<string, Column> = {};
  for (let c = 1; c < header.length; c++) {
    columns[header[c]!] = typeColumn(barcodes.map((b) => byBarcode.get(b)?.[c] ?? ""));
  }
  return columns;
}

/**
 * Read a 10x MatrixMarket folder into an {@link AnnData} with `X` as CSR cells × genes.
 * `var` gets `gene_ids` (and `feature_types` when the features file has a third column);
 * `obs` gets the columns of `obs.tsv` joined on barcode (missing cells get NaN / `""`).
 * Parse errors name the file and the 1-based line number.
 */
export function read10x(dir: string, options: Read10xOptions = {}): AnnData {
  if (!existsSync(dir)) throw new Error(`read10x: no such directory ${dir}`);
  const mtxPath = locate(dir, "matrix.mtx");
  const featPath = locate(dir, "features.tsv", "genes.tsv");
  const bcPath = locate(dir, "barcodes.tsv");
  const missing = [
    mtxPath ? "" : "matrix.mtx[.gz]",
    featPath ? "" : "features.tsv[.gz] or genes.tsv[.gz]",
    bcPath ? "" : "barcodes.tsv[.gz]",
  ].filter(Boolean);
  if (missing.length) throw new Error(`read10x: ${dir} lacks ${missing.join(", ")}`);
  const mtxText = mtxPath!.endsWith(".gz") ? gunzipSync(readFileSync(mtxPath!)) : readFileSync(mtxPath!);
  const counts = readMtx(mtxText, {
    source: mtxPath,
    transpose: true,
    format: "csr",
    dtype: options.dtype ?? "float32",
  });
  const [nCells, nGenes] = counts.shape;

  const feats = tsvRows(featPath!);
  const ids: string[] = [];
  const symbols: string[] = [];
  const types: string[] = [];
  for (const { line, fields } of feats) {
    if (fields.length < 1 || fields.length > 3 || fields[0] === "") {
      throw new Error(
        `${featPath}:${line}: expected 'id<TAB>symbol[<TAB>type]', got ${JSON.stringify(fields.join("\t"))}`,
      );
    }
    // fields[0] is a non-empty id (checked above); fields[2] exists when there are three.
    const id = fields[0]!;
    ids.push(id);
    symbols.push(fields[1] ?? id);
    if (fields.length === 3) types.push(fields[2]!);
  }
  if (ids.length !== nGenes) {
    throw new Error(`${featPath}: has ${ids.length} genes but ${mtxPath} has ${nGenes} rows`);
  }
  const barcodes = tsvRows(bcPath!).map(({ line, fields }) => {
    const barcode = fields[0] ?? "";
    if (barcode === "") throw new Error(`${bcPath}:${line}: empty barcode`);
    return barcode;
  });
  if (barcodes.length !== nCells) {
    throw new Error(`${bcPath}: has ${barcodes.length} barcodes but ${mtxPath} has ${nCells} columns`);
  }
  const names = options.varNames === "id" ? ids : symbols;
  const varColumns: Record<string, Column> = { gene_ids: ids };
  if (options.varNames === "id") varColumns.gene_symbols = symbols;
  if (types.length === ids.length) varColumns.feature_types = types;
  const obsPath = (options.readObs ?? true) ? locate(dir, "obs.tsv") : undefined;
  return createAnnData({
    X: counts,
    obs: { index: barcodes, columns: obsPath ? readObsTsv(obsPath, barcodes) : {} },
    var: { index: (options.makeUnique ?? true) ? makeUniqueNames(names) : names, columns: varColumns },
  });
}

/** Options for {@link write10x}. */
export interface Write10xOptions {
  /** gene id column of `var` (default `"gene_ids"`, falling back to `var.index`). */
  idColumn?: string;
  /** Also write `obs.tsv` from the non-categorical and categorical `obs` columns (default `true`). */
  writeObs?: boolean;
}

/**
 * Write `X` as a 10x folder: `matrix.mtx` (genes × cells), `genes.tsv` (id, symbol),
 * `barcodes.tsv` and, unless disabled, `obs.tsv`. Creates `dir` if needed.
 */
export function write10x(dir: string, adata: AnnData, options: Write10xOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  const idCol = adata.var.columns[options.idColumn ?? "gene_ids"];
  const ids = Array.isArray(idCol) ? idCol.map(String) : adata.var.index;
  writeFileSync(join(dir, "matrix.mtx"), formatMtx(adata.X, { transpose: true }));
  writeFileSync(join(dir, "genes.tsv"), adata.var.index.map((s, j) => `${ids[j]}\t${s}\n`).join(""));
  writeFileSync(join(dir, "barcodes.tsv"), adata.obs.index.map((b) => `${b}\n`).join(""));
  if (options.writeObs ?? true) {
    const names = Object.keys(adata.obs.columns);
    const cell = (c: Column, i: number): string => {
      if (!Array.isArray(c)) {
        const code = c.codes[i] ?? -1;
        return code < 0 ? "" : (c.categories[code] ?? "");
      }
      const v = c[i];
      return typeof v === "number" && Number.isNaN(v) ? "NA" : String(v);
    };
    const lines = [["barcode", ...names].join("\t")];
    adata.obs.index.forEach((b, i) => {
      // names are the keys of adata.obs.columns, so every lookup is defined.
      lines.push([b, ...names.map((n) => cell(adata.obs.columns[n]!, i))].join("\t"));
    });
    writeFileSync(join(dir, "obs.tsv"), `${lines.join("\n")}\n`);
  }
}
