/**
 * log Σ exp(xᵢ), shifted by the maximum m and written as m + log1p(Σ_{i≠i*} exp(xᵢ - m)),
 * so the result keeps the small contributions (e.g. logsumexp([0, -40]) = 4.2e-18).
 * Conventions: empty or all -Infinity → -Infinity; any NaN → NaN; +Infinity present → +Infinity.
 */
export function logsumexp(xs: ArrayLike<number>): number {
  const n = xs.length;
  let m = Number.NEGATIVE_INFINITY;
  let im = -1;
  for (let i = 0; i < n; i++) {
    const v = xs[i] as number;
    if (Number.isNaN(v)) return Number.NaN;
    if (v > m) {
      m = v;
      im = i;
    }
  }
  if (im < 0 || m === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (m === Number.POSITIVE_INFINITY) return m;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (i !== im) s += Math.exp((xs[i] as number) - m);
  }
  return m + Math.log1p(s);
}
