/**
 * MatrixMarket coordinate format (`%%MatrixMarket matrix coordinate integer|real|pattern general`)
 * reader and writer working on strings and byte buffers.
 *
 * Browser-safe: no `node:` imports.
 * @module
 */
import type { FloatArray, Matrix, SparseMatrix } from "./matrix.js";

/** Field type of a coordinate MatrixMarket file. */
export type MtxField = "integer" | "real" | "pattern";

/** The entries of a coordinate MatrixMarket file, 0-based. */
export interface MtxCoordinates {
  readonly nrows: number;
  readonly ncols: number;
  readonly field: MtxField;
  readonly row: Int32Array;
  readonly col: Int32Array;
  readonly values: Float64Array;
}

/** Options for {@link parseMtx}. */
export interface ParseMtxOptions {
  /** File name used in error messages (default `"matrix.mtx"`). */
  source?: string;
}

function toText(input: string | Uint8Array): string {
  return typeof input === "string" ? input : new TextDecoder("utf-8").decode(input);
}

/**
 * Parse a coordinate MatrixMarket file. Errors name the source and the 1-based line number.
 * Only `general` symmetry is supported; `pattern` entries get the value 1.
 */
export function parseMtx(input: string | Uint8Array, options: ParseMtxOptions = {}): MtxCoordinates {
  const source = options.source ?? "matrix.mtx";
  const text = toText(input);
  const fail = (line: number, msg: string): never => {
    throw new Error(`${source}:${line}: ${msg}`);
  };
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    if (pos >= text.length) return null;
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    if (line.endsWith("\r")) line = line.slice(0, -1);
    pos = end + 1;
    lineNo++;
    return line;
  };
  const header = nextLine();
  if (header === null) fail(1, "empty file");
  const h = (header as string)
    .trim()
    .split(/\s+/)
    .map((s) => s.toLowerCase());
  if (h[0] !== "%%matrixmarket") fail(1, `expected a '%%MatrixMarket' header, got ${JSON.stringify(header)}`);
  if (h[1] !== "matrix" || h[2] !== "coordinate")
    fail(1, `only 'matrix coordinate' is supported, got '${h[1]} ${h[2]}'`);
  const field = h[3] as MtxField;
  if (field !== "integer" && field !== "real" && field !== "pattern") {
    fail(1, `unsupported field '${h[3]}' (expected integer, real or pattern)`);
  }
  if (h[4] !== "general") fail(1, `unsupported symmetry '${h[4]}' (only general)`);
  let size = nextLine();
  while (size !== null && (size.trim() === "" || size.trim().startsWith("%"))) size = nextLine();
  if (size === null) fail(lineNo, "missing size line 'rows cols entries'");
  const dims = (size as string).trim().split(/\s+/).map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(lineNo, `bad size line ${JSON.stringify(size)} (expected 'rows cols entries')`);
  }
  // The size line was checked above to hold exactly three non-negative integers.
  const [nrows, ncols, nnz] = dims as [number, number, number];
  const row = new Int32Array(nnz);
  const col = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  const want = field === "pattern" ? 2 : 3;
  let k = 0;
  for (let line = nextLine(); line !== null; line = nextLine()) {
    const t = line.trim();
    if (t === "" || t.startsWith("%")) continue;
    if (k >= nnz) fail(lineNo, `more entries than the ${nnz} declared`);
    const parts = t.split(/\s+/);
    if (parts.length !== want)
      fail(lineNo, `expected ${want} fields, got ${parts.length}: ${JSON.stringify(t)}`);
    const i = Number(parts[0]);
    const j = Number(parts[1]);
    if (!Number.isInteger(i) || i < 1 || i > nrows)
      fail(lineNo, `row index ${parts[0]} out of range 1..${nrows}`);
    if (!Number.isInteger(j) || j < 1 || j > ncols)
      fail(lineNo, `column index ${parts[1]} out of range 1..${ncols}`);
    let v = 1;
    if (want === 3) {
      const text = parts[2] ?? "";
      v = Number(text);
      if (text === "" || (Number.isNaN(v) && !/^[+-]?nan$/i.test(text)))
        fail(lineNo, `bad value ${JSON.stringify(parts[2])}`);
      if (field === "integer" && !Number.isInteger(v))
        fail(lineNo, `value ${parts[2]} is not an integer (field is 'integer')`);
    }
    row[k] = i - 1;
    col[k] = j - 1;
    values[k] = v;
    k++;
  }
  if (k !== nnz) fail(lineNo, `expected ${nnz} entries, found ${k}`);
  return { nrows, ncols, field, row, col, values };
}

/** Options for {@link coordinatesToSparse}. */
export interface ToSparseOptions {
  /** Output compression (default `"csr"`). */
  format?: "csr" | "csc";
  /** Swap rows and columns first (10x files are genes × cells; use `true` for cells × genes). */
  transpose?: boolean;
  /** Storage of the values (default `"float32"`). */
  dtype?: "float32" | "float64";
}

/** Build a CSR/CSC matrix from coordinates, with sorted indices within each row/column. */
export function coordinatesToSparse(c: MtxCoordinates, options: ToSparseOptions = {}): SparseMatrix {
  const format = options.format ?? "csr";
  const tr = options.transpose ?? false;
  const r = tr ? c.col : c.row;
  const q = tr ? c.row : c.col;
  const shape: [number, number] = tr ? [c.ncols, c.nrows] : [c.nrows, c.ncols];
  const major = format === "csr" ? r : q;
  const minor = format === "csr" ? q : r;
  const nMajor = format === "csr" ? shape[0] : shape[1];
  const n = c.values.length;
  const indptr = new Int32Array(nMajor + 1);
  // Indices below are in range by construction: k < n = length of major/minor/values, major[k] < nMajor
  // (parseMtx checked every coordinate), and indptr has nMajor + 1 entries.
  for (let k = 0; k < n; k++) indptr[major[k]! + 1]!++;
  for (let i = 0; i < nMajor; i++) indptr[i + 1]! += indptr[i]!;
  const next = indptr.slice(0, nMajor);
  const indices = new Int32Array(n);
  const data: FloatArray = options.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const d = next[major[k]!]!++;
    indices[d] = minor[k]!;
    data[d] = c.values[k]!;
  }
  for (let i = 0; i < nMajor; i++) {
    const a = indptr[i]!;
    const b = indptr[i + 1]!;
    let sorted = true;
    for (let k = a + 1; k < b; k++) if (indices[k]! < indices[k - 1]!) sorted = false;
    if (sorted) continue;
    const order = Array.from({ length: b - a }, (_, t) => a + t).sort((x, y) => indices[x]! - indices[y]!);
    const idx = order.map((o) => indices[o]!);
    const val = order.map((o) => data[o]!);
    indices.set(idx, a);
    data.set(val, a);
  }
  return { format, data, indices, indptr, shape };
}

/** Parse a MatrixMarket file straight to a sparse matrix (see {@link ToSparseOptions}). */
export function readMtx(
  input: string | Uint8Array,
  options: ParseMtxOptions & ToSparseOptions = {},
): SparseMatrix {
  return coordinatesToSparse(parseMtx(input, options), options);
}

/** Options for {@link formatMtx}. */
export interface FormatMtxOptions {
  /** `"integer"` (default when every value is an integer) or `"real"`. */
  field?: "integer" | "real";
  /** Write the transpose (e.g. cells × genes in memory → genes × cells on disk, as 10x does). */
  transpose?: boolean;
  /** Comment lines to put after the header (without the leading `%`). */
  comments?: string[];
}

/**
 * Serialize a matrix as coordinate MatrixMarket text (1-based; only non-zero entries;
 * entries ordered by column then row, as 10x writes them).
 */
export function formatMtx(m: Matrix, options: FormatMtxOptions = {}): string {
  const tr = options.transpose ?? false;
  const [nr, nc] = tr ? [m.shape[1], m.shape[0]] : [m.shape[0], m.shape[1]];
  // Gather entries in (col, row) order of the written matrix.
  const rowsOut: number[] = [];
  const colsOut: number[] = [];
  const vals: number[] = [];
  const push = (i: number, j: number, v: number) => {
    if (v === 0) return;
    rowsOut.push(i);
    colsOut.push(j);
    vals.push(v);
  };
  if (m.format === "dense") {
    const C = m.shape[1];
    for (let j = 0; j < nc; j++)
      for (let i = 0; i < nr; i++) push(i, j, (tr ? m.data[j * C + i] : m.data[i * C + j])!);
  } else {
    // Column-major order of the written matrix == CSC of it; CSR of the original is CSC of its transpose.
    const s =
      (m.format === "csr") === tr
        ? m
        : coordinatesToSparse(
            { nrows: m.shape[0], ncols: m.shape[1], field: "real", ...sparseCoords(m) },
            { format: tr ? "csr" : "csc", dtype: "float64" },
          );
    for (let j = 0; j < nc; j++)
      // Invariant: a sparse matrix's indptr has nc + 1 entries here and indexes indices/data.
      for (let k = s.indptr[j]!; k < s.indptr[j + 1]!; k++) push(s.indices[k]!, j, s.data[k]!);
  }
  const field = options.field ?? (vals.every(Number.isInteger) ? "integer" : "real");
  if (field === "integer") {
    const bad = vals.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) throw new Error(`formatMtx: value ${vals[bad]} is not an integer; use field 'real'`);
  }
  const out: string[] = [`%%MatrixMarket matrix coordinate ${field} general`];
  for (const c of options.comments ?? []) out.push(`%${c}`);
  out.push(`${nr} ${nc} ${vals.length}`);
  for (let k = 0; k < vals.length; k++) out.push(`${rowsOut[k]! + 1} ${colsOut[k]! + 1} ${vals[k]}`);
  return `${out.join("\n")}\n`;
}

function sparseCoords(m: SparseMatrix): { row: Int32Array; col: Int32Array; values: Float64Array } {
  const n = m.indptr[m.indptr.length - 1] ?? 0;
  const row = new Int32Array(n);
  const col = new Int32Array(n);
  const values = Float64Array.from(m.data.subarray(0, n));
  const nMajor = m.indptr.length - 1;
  for (let i = 0; i < nMajor; i++) {
    // Invariant: i + 1 < indptr.length and k < n, the length of row/col/indices.
    for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) {
      if (m.format === "csr") {
        row[k] = i;
        col[k] = m.indices[k]!;
      } else {
        row[k] = m.indices[k]!;
        col[k] = i;
      }
    }
  }
  return { row, col, values };
}
