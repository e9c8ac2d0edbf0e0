/**
 * Small dense linear algebra for the NB-GLM code: p × p systems (p = number of
 * coefficients, usually ≤ 10) and thin n × p QR factorisations. Row-major
 * `Float64Array`s throughout. Internal to the DE module.
 * @module
 */

/**
 * Solve `A x = b` for a p × p row-major matrix by Gaussian elimination with partial
 * pivoting. `A` and `b` are not modified.
 * @returns the solution, or `null` when a pivot is below `tol` (singular system).
 */
export function solve(A: Float64Array, b: Float64Array, p: number, tol = 1e-300): Float64Array | null {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let k = 0; k < p; k++) {
    let piv = k;
    let best = Math.abs(M[k * p + k]!);
    for (let i = k + 1; i < p; i++) {
      const v = Math.abs(M[i * p + k]!);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    if (!(best > tol)) return null;
    if (piv !== k) {
      for (let j = 0; j < p; j++) {
        const t = M[k * p + j]!;
        M[k * p + j] = M[piv * p + j]!;
        M[piv * p + j] = t;
      }
      const t = x[k]!;
      x[k] = x[piv]!;
      x[piv] = t;
    }
    const d = M[k * p + k]!;
    for (let i = k + 1; i < p; i++) {
      const f = M[i * p + k]! / d;
      if (f === 0) continue;
      for (let j = k; j < p; j++) M[i * p + j] = M[i * p + j]! - f * M[k * p + j]!;
      x[i] = x[i]! - f * x[k]!;
    }
  }
  for (let k = p - 1; k >= 0; k--) {
    let s = x[k]!;
    for (let j = k + 1; j < p; j++) s -= M[k * p + j]! * x[j]!;
    x[k] = s / M[k * p + k]!;
  }
  return x;
}

/**
 * Inverse of a p × p matrix (row-major) by solving against the identity columns.
 * @returns the inverse, or `null` when singular.
 */
export function invert(A: Float64Array, p: number): Float64Array | null {
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    e.fill(0);
    e[j] = 1;
    const col = solve(A, e, p);
    if (col === null) return null;
    for (let i = 0; i < p; i++) inv[i * p + j] = col[i]!;
  }
  return inv;
}

/**
 * Log-determinant of a p × p matrix from its LU factorisation, with the absolute
 * diagonal entries floored at `floor` (glmGamPoi floors at 1e-50 so that a
 * degenerate information matrix gives a large negative, finite value).
 */
export function logDetLU(A: Float64Array, p: number, floor = 1e-50): number {
  const M = Float64Array.from(A);
  let ld = 0;
  for (let k = 0; k < p; k++) {
    let piv = k;
    let best = Math.abs(M[k * p + k]!);
    for (let i = k + 1; i < p; i++) {
      const v = Math.abs(M[i * p + k]!);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    if (piv !== k) {
      for (let j = 0; j < p; j++) {
        const t = M[k * p + j]!;
        M[k * p + j] = M[piv * p + j]!;
        M[piv * p + j] = t;
      }
    }
    const d = M[k * p + k]!;
    ld += Math.log(Math.max(Math.abs(d), floor));
    if (d === 0) continue;
    for (let i = k + 1; i < p; i++) {
      const f = M[i * p + k]! / d;
      for (let j = k; j < p; j++) M[i * p + j] = M[i * p + j]! - f * M[k * p + j]!;
    }
  }
  return ld;
}

/** Result of {@link householderQR}: compact Householder vectors and R. */
export interface QR {
  /** Rows of the factored matrix. */
  n: number;
  /** Columns of the factored matrix. */
  p: number;
  /** Row-major n × p: below the diagonal the Householder vectors, on/above it R. */
  qr: Float64Array;
  /** The Householder scalars τ_k. */
  tau: Float64Array;
  /** The numerical rank (columns with |R_kk| > tol · max |R_jj|). */
  rank: number;
  /** Index of the first column whose |R_kk| is negligible, or -1. */
  firstDependent: number;
}

/**
 * Householder QR of an n × p (n ≥ p) row-major matrix without pivoting. A column
 * whose diagonal entry of R is below `relTol` times the norm of the original column
 * is reported as linearly dependent on the columns before it.
 */
export function householderQR(A: Float64Array, n: number, p: number, relTol = 1e-10): QR {
  const qr = Float64Array.from(A);
  const tau = new Float64Array(p);
  let rank = 0;
  let firstDependent = -1;
  for (let k = 0; k < Math.min(n, p); k++) {
    let colNorm0 = 0;
    for (let i = 0; i < n; i++) colNorm0 += A[i * p + k]! ** 2;
    colNorm0 = Math.sqrt(colNorm0);
    let norm = 0;
    for (let i = k; i < n; i++) norm += qr[i * p + k]! ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > relTol * Math.max(colNorm0, 1e-300))) {
      if (firstDependent < 0) firstDependent = k;
      tau[k] = 0;
      continue;
    }
    rank++;
    const a = qr[k * p + k]!;
    const alpha = a > 0 ? -norm : norm;
    const v0 = a - alpha;
    for (let i = k + 1; i < n; i++) qr[i * p + k] = qr[i * p + k]! / v0;
    qr[k * p + k] = alpha;
    tau[k] = -v0 / alpha;
    for (let j = k + 1; j < p; j++) {
      let s = qr[k * p + j]!;
      for (let i = k + 1; i < n; i++) s += qr[i * p + k]! * qr[i * p + j]!;
      s *= tau[k]!;
      qr[k * p + j] = qr[k * p + j]! - s;
      for (let i = k + 1; i < n; i++) qr[i * p + j] = qr[i * p + j]! - s * qr[i * p + k]!;
    }
  }
  if (n < p && firstDependent < 0) firstDependent = n;
  return { n, p, qr, tau, rank, firstDependent };
}

/**
 * Least-squares solution of `A x ≈ b` from a full-rank {@link householderQR}.
 * `b` has length n; returns x of length p.
 */
export function qrSolve(f: QR, b: Float64Array): Float64Array {
  const { n, p, qr, tau } = f;
  const y = Float64Array.from(b);
  for (let k = 0; k < p; k++) {
    if (tau[k] === 0) continue;
    let s = y[k]!;
    for (let i = k + 1; i < n; i++) s += qr[i * p + k]! * y[i]!;
    s *= tau[k]!;
    y[k] = y[k]! - s;
    for (let i = k + 1; i < n; i++) y[i] = y[i]! - s * qr[i * p + k]!;
  }
  const x = new Float64Array(p);
  for (let k = p - 1; k >= 0; k--) {
    let s = y[k]!;
    for (let j = k + 1; j < p; j++) s -= qr[k * p + j]! * x[j]!;
    x[k] = s / qr[k * p + k]!;
  }
  return x;
}

/**
 * An orthonormal basis (p × (p−1), row-major) of the complement of a non-zero
 * p-vector c — the columns 2..p of the complete Q of the QR of c.
 */
export function orthogonalComplement(c: Float64Array): Float64Array {
  const p = c.length;
  const f = householderQR(c, p, 1);
  // Q = I − τ v vᵀ with v = (1, qr[1..p-1]).
  const v = new Float64Array(p);
  v[0] = 1;
  for (let i = 1; i < p; i++) v[i] = f.qr[i]!;
  const t = f.tau[0]!;
  const out = new Float64Array(p * (p - 1));
  for (let i = 0; i < p; i++) {
    for (let j = 1; j < p; j++) {
      out[i * (p - 1) + (j - 1)] = (i === j ? 1 : 0) - t * v[i]! * v[j]!;
    }
  }
  return out;
}

/** Matrix product C = A B for row-major A (n × k) and B (k × m). */
export function matmul(A: Float64Array, B: Float64Array, n: number, k: number, m: number): Float64Array {
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < k; l++) {
      const a = A[i * k + l]!;
      if (a === 0) continue;
      for (let j = 0; j < m; j++) C[i * m + j] = C[i * m + j]! + a * B[l * m + j]!;
    }
  }
  return C;
}
