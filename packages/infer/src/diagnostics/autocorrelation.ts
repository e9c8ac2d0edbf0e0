/**
 * Autocovariance and autocorrelation of one chain, by FFT (zero-padded to avoid wrap-around)
 * or directly.
 * @module
 */
import { fft, nextPow2 } from "./fft.js";

/**
 * Biased autocovariance `γ(t) = (1/n) Σ_{i<n−t} (x_i − x̄)(x_{i+t} − x̄)` for t = 0..n−1,
 * computed by FFT in O(n log n).
 * @example
 * autocovariance(new Float64Array([1, -1, 1, -1])); // [1, -0.75, 0.5, -0.25]
 */
export function autocovariance(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  if (n === 0) throw new Error("autocovariance: empty chain");
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  const m = nextPow2(2 * n);
  const re = new Float64Array(m);
  const im = new Float64Array(m);
  for (let i = 0; i < n; i++) re[i] = x[i]! - mean;
  fft(re, im);
  for (let i = 0; i < m; i++) {
    re[i] = re[i]! * re[i]! + im[i]! * im[i]!;
    im[i] = 0;
  }
  fft(re, im, true);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) out[t] = re[t]! / m / n;
  return out;
}

/** The same autocovariance by the direct O(n·maxLag) sum, for checking and short chains. */
export function autocovarianceDirect(x: ArrayLike<number>, maxLag = x.length - 1): Float64Array {
  const n = x.length;
  if (n === 0) throw new Error("autocovariance: empty chain");
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  const out = new Float64Array(Math.min(maxLag, n - 1) + 1);
  for (let t = 0; t < out.length; t++) {
    let s = 0;
    for (let i = 0; i + t < n; i++) s += (x[i]! - mean) * (x[i + t]! - mean);
    out[t] = s / n;
  }
  return out;
}

/**
 * Autocorrelation `ρ(t) = γ(t)/γ(0)`; a constant chain gives ρ = 1 at lag 0 and 0 elsewhere.
 * @example
 * autocorrelation(new Float64Array([1, 2, 3, 4]))[0]; // 1
 */
export function autocorrelation(x: ArrayLike<number>): Float64Array {
  const g = autocovariance(x);
  const g0 = g[0]!;
  if (g0 === 0) return g.map((_, t) => (t === 0 ? 1 : 0));
  return g.map((v) => v / g0);
}
