/**
 * Count-matrix containers used by the IO layer: dense row-major and sparse CSR/CSC.
 *
 * Browser-safe: no `node:` imports.
 *
 * Every function but {@link checkMatrix} takes a matrix that passes `checkMatrix` (readers call it
 * at the boundary), so their index reads are in range and carry `!` under that invariant.
 * @module
 */

/** Floating-point storage accepted for matrix values. */
export type FloatArray = Float32Array | Float64Array;

/** A dense matrix stored row-major (`data[i * shape[1] + j]`). */
export interface DenseMatrix {
  readonly format: "dense";
  readonly data: FloatArray;
  readonly shape: readonly [number, number];
}

/**
 * A compressed sparse matrix. For `csr`, `indptr` runs over rows and `indices` are column
 * indices; for `csc`, `indptr` runs over columns and `indices` are row indices.
 */
export interface SparseMatrix {
  readonly format: "csr" | "csc";
  readonly data: FloatArray;
  readonly indices: Int32Array;
  readonly indptr: Int32Array;
  readonly shape: readonly [number, number];
}

/** Any matrix the IO layer understands. */
export type Matrix = DenseMatrix | SparseMatrix;

/** Number of stored entries (all entries for a dense matrix). */
export function matrixNnz(m: Matrix): number {
  return m.format === "dense" ? m.data.length : (m.indptr[m.indptr.length - 1] ?? 0);
}

/** Allocate a float array of the same kind as `like` (or the named kind). */
function allocLike(like: FloatArray | "float32" | "float64", n: number): FloatArray {
  const kind = typeof like === "string" ? like : like instanceof Float32Array ? "float32" : "float64";
  return kind === "float32" ? new Float32Array(n) : new Float64Array(n);
}

/**
 * Check a matrix's internal consistency (lengths, index bounds, monotone indptr) and throw a
 * descriptive error naming `what` on the first problem.
 */
export function checkMatrix(m: Matrix, what = "matrix"): void {
  const [r, c] = m.shape;
  if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || c < 0) {
    throw new Error(`${what}: invalid shape [${r}, ${c}]`);
  }
  if (m.format === "dense") {
    if (m.data.length !== r * c) {
      throw new Error(`${what}: dense data has ${m.data.length} values, shape [${r}, ${c}] needs ${r * c}`);
    }
    return;
  }
  const major = m.format === "csr" ? r : c;
  const minor = m.format === "csr" ? c : r;
  if (m.indptr.length !== major + 1) {
    throw new Error(`${what}: ${m.format} indptr has length ${m.indptr.length}, expected ${major + 1}`);
  }
  if (m.indptr[0] !== 0) throw new Error(`${what}: indptr must start at 0`);
  const nnz = m.indptr[major];
  if (m.data.length !== nnz || m.indices.length !== nnz) {
    throw new Error(
      `${what}: indptr ends at ${nnz} but data has ${m.data.length} and indices ${m.indices.length} entries`,
    );
  }
  for (let i = 0; i < major; i++) {
    if (m.indptr[i + 1]! < m.indptr[i]!) throw new Error(`${what}: indptr decreases at ${i}`);
  }
  for (let k = 0; k < nnz; k++) {
    const j = m.indices[k]!;
    if (j < 0 || j >= minor)
      throw new Error(`${what}: index ${j} at position ${k} is out of range [0, ${minor})`);
  }
}

/** Transpose a sparse matrix cheaply: CSR of A is CSC of Aᵀ (no data movement). */
export function transposeSparse(m: SparseMatrix): SparseMatrix {
  return {
    format: m.format === "csr" ? "csc" : "csr",
    data: m.data,
    indices: m.indices,
    indptr: m.indptr,
    shape: [m.shape[1], m.shape[0]],
  };
}

/** Switch compression axis (CSR ↔ CSC) keeping the same logical matrix; indices come out sorted. */
function recompress(m: SparseMatrix): SparseMatrix {
  const [r, c] = m.shape;
  const major = m.format === "csr" ? r : c;
  const minor = m.format === "csr" ? c : r;
  const nnz = m.indptr[major]!;
  const counts = new Int32Array(minor + 1);
  for (let k = 0; k < nnz; k++) counts[m.indices[k]! + 1]!++;
  for (let j = 0; j < minor; j++) counts[j + 1]! += counts[j]!;
  const indptr = Int32Array.from(counts);
  const next = Int32Array.from(counts);
  const indices = new Int32Array(nnz);
  const data = allocLike(m.data, nnz);
  for (let i = 0; i < major; i++) {
    for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) {
      const j = m.indices[k]!;
      const dst = next[j]!++;
      indices[dst] = i;
      data[dst] = m.data[k]!;
    }
  }
  return { format: m.format === "csr" ? "csc" : "csr", data, indices, indptr, shape: [r, c] };
}

/** Convert a dense matrix to CSR or CSC, keeping only non-zero values. */
function denseToSparse(m: DenseMatrix, format: "csr" | "csc"): SparseMatrix {
  const [r, c] = m.shape;
  let nnz = 0;
  for (let k = 0; k < m.data.length; k++) if (m.data[k] !== 0) nnz++;
  const data = allocLike(m.data, nnz);
  const indices = new Int32Array(nnz);
  const major = format === "csr" ? r : c;
  const indptr = new Int32Array(major + 1);
  let p = 0;
  for (let i = 0; i < major; i++) {
    const minor = format === "csr" ? c : r;
    for (let j = 0; j < minor; j++) {
      const v = format === "csr" ? m.data[i * c + j]! : m.data[j * c + i]!;
      if (v !== 0) {
        data[p] = v;
        indices[p++] = j;
      }
    }
    indptr[i + 1] = p;
  }
  return { format, data, indices, indptr, shape: [r, c] };
}

/** The matrix as CSR (converted if needed; returned as is when already CSR). */
export function toCsr(m: Matrix): SparseMatrix {
  if (m.format === "csr") return m;
  return m.format === "dense" ? denseToSparse(m, "csr") : recompress(m);
}

/** The matrix as CSC (converted if needed; returned as is when already CSC). */
export function toCsc(m: Matrix): SparseMatrix {
  if (m.format === "csc") return m;
  return m.format === "dense" ? denseToSparse(m, "csc") : recompress(m);
}

/**
 * The matrix as a dense row-major array. Duplicate sparse entries are summed.
 * @param dtype storage of the result; defaults to the source's storage.
 */
export function toDense(m: Matrix, dtype?: "float32" | "float64"): DenseMatrix {
  const [r, c] = m.shape;
  if (m.format === "dense") {
    if (dtype === undefined || (dtype === "float32") === m.data instanceof Float32Array) return m;
    const data = allocLike(dtype, m.data.length);
    data.set(m.data);
    return { format: "dense", data, shape: [r, c] };
  }
  const data = allocLike(dtype ?? m.data, r * c);
  const major = m.format === "csr" ? r : c;
  for (let i = 0; i < major; i++) {
    for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) {
      const j = m.indices[k]!;
      if (m.format === "csr") data[i * c + j]! += m.data[k]!;
      else data[j * c + i]! += m.data[k]!;
    }
  }
  return { format: "dense", data, shape: [r, c] };
}

/** Row sums (length shape[0]) in float64. */
export function rowSums(m: Matrix): Float64Array {
  const [r, c] = m.shape;
  const out = new Float64Array(r);
  if (m.format === "dense") {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i]! += m.data[i * c + j]!;
  } else if (m.format === "csr") {
    for (let i = 0; i < r; i++) for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) out[i]! += m.data[k]!;
  } else {
    for (let k = 0; k < m.indptr[c]!; k++) out[m.indices[k]!]! += m.data[k]!;
  }
  return out;
}

/** Column sums (length shape[1]) in float64. */
export function colSums(m: Matrix): Float64Array {
  if (m.format === "dense") {
    const [r, c] = m.shape;
    const out = new Float64Array(c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j]! += m.data[i * c + j]!;
    return out;
  }
  return rowSums(transposeSparse(m));
}

/** Select rows (in the given order; repeats allowed) of any matrix, keeping its format. */
export function selectRows(m: Matrix, rows: ArrayLike<number>): Matrix {
  const [r, c] = m.shape;
  for (let t = 0; t < rows.length; t++) {
    const i = rows[t]!;
    if (!Number.isInteger(i) || i < 0 || i >= r) throw new Error(`row index ${i} out of range [0, ${r})`);
  }
  if (m.format === "dense") {
    const data = allocLike(m.data, rows.length * c);
    for (let t = 0; t < rows.length; t++) data.set(m.data.subarray(rows[t]! * c, rows[t]! * c + c), t * c);
    return { format: "dense", data, shape: [rows.length, c] };
  }
  if (m.format === "csc") return toCsc(selectRows(toCsr(m), rows));
  let nnz = 0;
  for (let t = 0; t < rows.length; t++) nnz += m.indptr[rows[t]! + 1]! - m.indptr[rows[t]!]!;
  const data = allocLike(m.data, nnz);
  const indices = new Int32Array(nnz);
  const indptr = new Int32Array(rows.length + 1);
  let p = 0;
  for (let t = 0; t < rows.length; t++) {
    const a = m.indptr[rows[t]!]!;
    const b = m.indptr[rows[t]! + 1]!;
    data.set(m.data.subarray(a, b), p);
    indices.set(m.indices.subarray(a, b), p);
    p += b - a;
    indptr[t + 1] = p;
  }
  return { format: "csr", data, indices, indptr, shape: [rows.length, c] };
}

/** Select columns (in the given order; repeats allowed) of any matrix, keeping its format. */
export function selectCols(m: Matrix, cols: ArrayLike<number>): Matrix {
  if (m.format === "dense") {
    const [r, c] = m.shape;
    for (let t = 0; t < cols.length; t++) {
      const j = cols[t]!;
      if (!Number.isInteger(j) || j < 0 || j >= c)
        throw new Error(`column index ${j} out of range [0, ${c})`);
    }
    const data = allocLike(m.data, r * cols.length);
    for (let i = 0; i < r; i++)
      for (let t = 0; t < cols.length; t++) data[i * cols.length + t] = m.data[i * c + cols[t]!]!;
    return { format: "dense", data, shape: [r, cols.length] };
  }
  const sel = selectRows(transposeSparse(m.format === "csr" ? toCsc(m) : m), cols) as SparseMatrix;
  const out = transposeSparse(sel);
  return m.format === "csr" ? toCsr(out) : out;
}
