/**
 * Natural cubic spline basis (linear beyond the boundary knots) in the truncated
 * power form of Hastie, Tibshirani & Friedman, *Elements of Statistical Learning*
 * (2nd ed., eq. 5.4–5.5): with knots ξ₁ < … < ξ_K, N₁ = 1, N₂ = x,
 * N_{k+2} = d_k − d_{K−1}, d_k = [(x−ξ_k)³₊ − (x−ξ_K)³₊]/(ξ_K − ξ_k). It spans the
 * same space as R's `splines::ns(x, knots, Boundary.knots, intercept = TRUE)`.
 * @module
 */

/**
 * Basis matrix (rows = points, K columns, row-major) for knots `knots` (boundary
 * knots first and last). x is rescaled to [0, 1] over the boundary knots for
 * conditioning.
 */
export function naturalSplineBasis(x: ArrayLike<number>, knots: readonly number[]): Float64Array {
  const K = knots.length;
  const lo = knots[0]!;
  const span = knots[K - 1]! - lo || 1;
  const xi = knots.map((k) => (k - lo) / span);
  const n = x.length;
  const out = new Float64Array(n * K);
  const cube = (v: number) => (v > 0 ? v * v * v : 0);
  const dk = (t: number, k: number) => (cube(t - xi[k]!) - cube(t - xi[K - 1]!)) / (xi[K - 1]! - xi[k]!);
  for (let i = 0; i < n; i++) {
    const t = (x[i]! - lo) / span;
    out[i * K] = 1;
    if (K > 1) out[i * K + 1] = t;
    const last = K >= 3 ? dk(t, K - 2) : 0;
    for (let k = 0; k + 2 < K; k++) out[i * K + k + 2] = dk(t, k) - last;
  }
  return out;
}
