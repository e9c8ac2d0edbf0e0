/**
 * Quantiles and highest posterior density intervals of a sample.
 * @module
 */

function sorted(x: ArrayLike<number>, what: string): Float64Array {
  if (x.length === 0) throw new Error(`${what}: empty sample`);
  const s = Float64Array.from(x as ArrayLike<number>);
  for (let i = 0; i < s.length; i++) if (Number.isNaN(s[i]!)) throw new Error(`${what}: draw ${i} is NaN`);
  return s.sort();
}

/**
 * The `q`-quantile with linear interpolation between order statistics (NumPy's default,
 * Hyndman–Fan type 7).
 * @example
 * quantile(new Float64Array([1, 2, 3, 4]), 0.5); // 2.5
 */
export function quantile(x: ArrayLike<number>, q: number): number {
  return quantiles(x, [q])[0]!;
}

/** Several quantiles at once (sorting once). */
export function quantiles(x: ArrayLike<number>, qs: readonly number[]): number[] {
  const s = sorted(x, "quantile");
  return qs.map((q) => {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must lie in [0, 1], got ${q}`);
    const h = (s.length - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
  });
}

/**
 * The narrowest interval containing a fraction `prob` of the draws (the highest posterior
 * density interval of a unimodal posterior): among windows of ⌊prob·n⌋ + 1 consecutive
 * order statistics, the shortest.
 * @example
 * hpdi(Float64Array.from({ length: 101 }, (_, i) => i), 0.5); // [0, 50]
 */
export function hpdi(x: ArrayLike<number>, prob = 0.9): [lo: number, hi: number] {
  if (!(prob > 0 && prob <= 1)) throw new Error(`hpdi: prob must lie in (0, 1], got ${prob}`);
  const s = sorted(x, "hpdi");
  const n = s.length;
  const k = Math.min(Math.floor(prob * n), n - 1);
  let best = 0;
  for (let i = 1; i + k < n; i++) if (s[i + k]! - s[i]! < s[best + k]! - s[best]!) best = i;
  return [s[best]!, s[best + k]!];
}
