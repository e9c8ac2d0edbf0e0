/**
 * Benjamini–Hochberg adjusted p-values.
 * @module
 */

/**
 * BH adjustment: sort p ascending, q_(k) = min_{j ≥ k} N·p_(j)/j, capped at 1, where
 * N counts the non-NaN p-values. NaN stays NaN.
 * @example
 * ```ts
 * adjustBH([0.01, 0.04, 0.03, 0.2]); // [0.04, 0.0533…, 0.0533…, 0.2]
 * ```
 */
export function adjustBH(p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length).fill(Number.NaN);
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) if (!Number.isNaN(p[i]!)) idx.push(i);
  idx.sort((a, b) => p[a]! - p[b]!);
  const N = idx.length;
  let running = 1;
  for (let k = N - 1; k >= 0; k--) {
    const i = idx[k]!;
    const q = (N * p[i]!) / (k + 1);
    if (q < running) running = q;
    out[i] = running;
  }
  return out;
}
