/**
 * Reading count data inside the browser tab: an `.h5ad` file (h5wasm's browser build, its
 * in-memory file system) or a 10x MatrixMarket folder's files, into an AnnData (cells × genes).
 * @module
 */
import { type AnnData, coordinatesToSparse, createAnnData, parseMtx } from "@scribe/models";
import { decodeAnnData } from "@scribe/models/io/h5ad-read.js";
import * as h5wasm from "h5wasm";

/** A file picked or dropped by the user, reduced to what the readers need. */
export interface InputFile {
  name: string;
  bytes: Uint8Array;
}

/** First column of a tab-separated file (10x genes/features or barcodes), one entry per line. */
function firstColumn(file: InputFile, column = 0): string[] {
  const text = new TextDecoder().decode(file.bytes);
  return text
    .split(/\r?\n/)
    .filter((line) => line.length > 0)
    .map((line, i) => {
      const cells = line.split("\t");
      const value = cells[column] ?? cells[0];
      if (value === undefined || value === "") throw new Error(`${file.name}, line ${i + 1}: empty name`);
      return value;
    });
}

/** A 10x folder's three files (gzip is not read here: drop the uncompressed files). */
export function read10xFiles(files: readonly InputFile[]): AnnData {
  const find = (re: RegExp) => files.find((f) => re.test(f.name));
  const matrix = find(/matrix\.mtx$/);
  const genes = find(/(genes|features)\.tsv$/);
  const barcodes = find(/barcodes\.tsv$/);
  const missing = [
    matrix ? null : "matrix.mtx",
    genes ? null : "genes.tsv or features.tsv",
    barcodes ? null : "barcodes.tsv",
  ].filter((m) => m !== null);
  if (!matrix || !genes || !barcodes || missing.length > 0)
    throw new Error(
      `10x folder: missing ${missing.join(", ")} (gzipped .gz files are not read in the browser)`,
    );
  if (files.some((f) => f.name.endsWith(".gz")))
    throw new Error("10x folder: decompress the .gz files first");
  const coords = parseMtx(matrix.bytes);
  // 10x matrices are genes × cells; SCRIBE wants cells × genes. Gene symbols are column 2.
  const X = coordinatesToSparse(coords, { transpose: true, dtype: "float32" });
  const geneNames = firstColumn(genes, 1);
  const cellNames = firstColumn(barcodes);
  if (geneNames.length !== coords.nrows)
    throw new Error(`${genes.name}: ${geneNames.length} genes, but ${matrix.name} has ${coords.nrows} rows`);
  if (cellNames.length !== coords.ncols)
    throw new Error(
      `${barcodes.name}: ${cellNames.length} barcodes, but ${matrix.name} has ${coords.ncols} columns`,
    );
  return createAnnData({ X, obs: cellNames, var: geneNames });
}

/** An `.h5ad` file's AnnData, through h5wasm's browser build (the file is written to its in-memory FS). */
export async function readH5adBytes(file: InputFile): Promise<AnnData> {
  const lib = h5wasm;
  const { FS } = await lib.ready;
  if (FS === undefined) throw new Error("h5wasm: no in-memory file system");
  const path = `/${file.name.replace(/[^A-Za-z0-9._-]/g, "_")}`;
  FS.writeFile(path, file.bytes);
  const h5 = new lib.File(path, "r");
  try {
    return decodeAnnData(h5);
  } catch (err) {
    throw new Error(`${file.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    h5.close();
    FS.unlink(path);
  }
}

/** The bundled PBMC 3k subset (283 cells × 914 genes), fetched from the page's assets. */
export async function bundledPbmc(): Promise<AnnData> {
  const urls = {
    "matrix.mtx": new URL("../data/pbmc3k_sctransform/matrix.mtx", import.meta.url).href,
    "genes.tsv": new URL("../data/pbmc3k_sctransform/genes.tsv", import.meta.url).href,
    "barcodes.tsv": new URL("../data/pbmc3k_sctransform/barcodes.tsv", import.meta.url).href,
  };
  const files = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`bundled data: ${name}: HTTP ${res.status}`);
      return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
    }),
  );
  return read10xFiles(files);
}

/** AnnData from user files: one `.h5ad`, or a 10x folder's files. */
export async function readInput(files: readonly InputFile[]): Promise<AnnData> {
  const h5ad = files.find((f) => f.name.endsWith(".h5ad"));
  if (h5ad) return readH5adBytes(h5ad);
  return read10xFiles(files);
}
