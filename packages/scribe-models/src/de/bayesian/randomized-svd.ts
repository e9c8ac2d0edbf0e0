/**
 * Leading principal directions of a centred data matrix by a randomized range finder with
 * one power iteration (Halko, Martinsson and Tropp, "Finding structure with randomness",
 * SIAM Review 53, 2011, algorithms 4.3/5.1), and a cyclic Jacobi eigensolver for the small
 * projected problem. Plain Float64Array code: the matrices here are draws × genes.
 * @module
 */
import type { Key } from "@scribe/core";
import { GammaStream } from "./gamma-stream.js";

/** Orthonormalise the `l` columns of A (n × l, row-major) in place (Gram–Schmidt, twice). */
function orthonormalizeColumns(A: Float64Array, n: number, l: number): void {
  for (let pass = 0; pass < 2; pass++)
    for (let c = 0; c < l; c++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += A[i * l + c]! * A[i * l + p]!;
        for (let i = 0; i < n; i++) A[i * l + c]! -= dot * A[i * l + p]!;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += A[i * l + c]! ** 2;
      norm = Math.sqrt(norm);
      if (norm > 0) for (let i = 0; i < n; i++) A[i * l + c]! /= norm;
    }
}

/** Y = Z X for Z (n × p) and X (p × l): n × l. */
function mulZX(Z: Float64Array, X: Float64Array, n: number, p: number, l: number): Float64Array {
  const Y = new Float64Array(n * l);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      const z = Z[i * p + j]!;
      if (z === 0) continue;
      for (let c = 0; c < l; c++) Y[i * l + c]! += z * X[j * l + c]!;
    }
  return Y;
}

/** Y = Zᵀ Q for Z (n × p) and Q (n × l): p × l. */
function mulZtQ(Z: Float64Array, Q: Float64Array, n: number, p: number, l: number): Float64Array {
  const Y = new Float64Array(p * l);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      const z = Z[i * p + j]!;
      if (z === 0) continue;
      for (let c = 0; c < l; c++) Y[j * l + c]! += z * Q[i * l + c]!;
    }
  return Y;
}

/**
 * Eigen-decomposition of a symmetric m × m matrix by cyclic Jacobi rotations: eigenvalues
 * (descending) and eigenvectors as the columns of V (row-major).
 */
export function symmetricEigen(A0: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(A0);
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p * m + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++)
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * m + q]! - A[p * m + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p]!;
          const akq = A[k * m + q]!;
          A[k * m + p] = c * akp - s * akq;
          A[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k]!;
          const aqk = A[q * m + k]!;
          A[p * m + k] = c * apk - s * aqk;
          A[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k * m + p]!;
          const vkq = V[k * m + q]!;
          V[k * m + p] = c * vkp - s * vkq;
          V[k * m + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => A[b * m + b]! - A[a * m + a]!);
  const values = Float64Array.from(order, (i) => A[i * m + i]!);
  const vectors = new Float64Array(m * m);
  for (let k = 0; k < m; k++) for (let i = 0; i < m; i++) vectors[i * m + k] = V[i * m + order[k]!]!;
  return { values, vectors };
}

/**
 * The top `rank` right singular directions of a centred Z (n × p), scaled by the singular
 * values: returns F (p × rank, row-major) with F Fᵀ ≈ Zᵀ Z (the rank-`rank` part).
 */
export function topRightFactors(Z: Float64Array, n: number, p: number, rank: number, k: Key): Float64Array {
  const l = Math.min(rank + 10, n, p);
  const rng = new GammaStream(k);
  const omega = new Float64Array(p * l);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();
  let Q = mulZX(Z, omega, n, p, l);
  orthonormalizeColumns(Q, n, l);
  const P = mulZtQ(Z, Q, n, p, l); // power iteration
  orthonormalizeColumns(P, p, l);
  Q = mulZX(Z, P, n, p, l);
  orthonormalizeColumns(Q, n, l);
  const Bt = mulZtQ(Z, Q, n, p, l); // Bᵀ = Zᵀ Q: p × l
  const BBt = new Float64Array(l * l);
  for (let j = 0; j < p; j++)
    for (let a = 0; a < l; a++) {
      const x = Bt[j * l + a]!;
      for (let b = a; b < l; b++) BBt[a * l + b]! += x * Bt[j * l + b]!;
    }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) BBt[a * l + b] = BBt[b * l + a]!;
  const { vectors: U } = symmetricEigen(BBt, l);
  const r = Math.min(rank, l);
  // Zᵀ ≈ Bᵀ Qᵀ; Bᵀ U_r = V_r Σ_r
  const F = new Float64Array(p * r);
  for (let j = 0; j < p; j++)
    for (let c = 0; c < r; c++) {
      let v = 0;
      for (let a = 0; a < l; a++) v += Bt[j * l + a]! * U[a * l + c]!;
      F[j * r + c] = v;
    }
  return F;
}
