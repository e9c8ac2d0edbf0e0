/**
 * Mean–dispersion trend: a Gaussian-weighted running median of θ̂ against the gene
 * mean on the raw scale (glmGamPoi's "local median fit").
 * @module
 */

/**
 * Weighted median without interpolation: the smallest value whose cumulative
 * weight (values sorted ascending) reaches half the total weight.
 */
export function weightedMedian(x: ArrayLike<number>, w: ArrayLike<number>): number {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i]!;
  const half = total / 2;
  let acc = 0;
  for (const i of idx) {
    acc += w[i]!;
    if (acc >= half) return x[i]!;
  }
  return x[idx[idx.length - 1]!]!;
}

/** Options of {@link locMedianFit}. */
export interface LocMedianOptions {
  /** Fraction of genes in a window (default 0.1). */
  fraction?: number;
  /** Minimum number of points in a window (default 100). */
  minPoints?: number;
}

/**
 * Running weighted median of `y` ordered by `x`: window of 2h+1 neighbours in the
 * ordering by x, h = floor(N/2), N = min(G, max(fraction·G, minPoints)); Gaussian
 * weights dnorm(seq(−3, 3, length = 2h+1)); the first and last h positions copy
 * the nearest interior value; fewer than 2h+1 genes → one weighted median for all.
 * Entries with non-finite x or y get NaN. O(G·h) time with an incrementally sorted
 * window.
 * @example
 * ```ts
 * locMedianFit(Float64Array.from([1, 2, 3]), Float64Array.from([5, 1, 9])); // all 5
 * ```
 */
export function locMedianFit(x: Float64Array, y: Float64Array, opts: LocMedianOptions = {}): Float64Array {
  const G = x.length;
  const out = new Float64Array(G).fill(Number.NaN);
  const valid: number[] = [];
  for (let g = 0; g < G; g++) if (Number.isFinite(x[g]!) && Number.isFinite(y[g]!)) valid.push(g);
  const N = valid.length;
  if (N === 0) return out;
  valid.sort((a, b) => x[a]! - x[b]! || a - b);
  const ys = Float64Array.from(valid, (g) => y[g]!);
  const npts = Math.min(N, Math.max(Math.floor((opts.fraction ?? 0.1) * N), opts.minPoints ?? 100));
  const h = Math.floor(npts / 2);
  const wlen = 2 * h + 1;
  const w = new Float64Array(wlen);
  for (let k = 0; k < wlen; k++) {
    const z = wlen === 1 ? 0 : -3 + (6 * k) / (wlen - 1);
    w[k] = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  }
  const fitted = new Float64Array(N);
  if (N < wlen) {
    // One weighted median over all points, weights centred on the window.
    const ww = new Float64Array(N);
    const shift = Math.floor((wlen - N) / 2);
    for (let k = 0; k < N; k++) ww[k] = w[k + shift]!;
    fitted.fill(weightedMedian(ys, ww));
  } else {
    let total = 0;
    for (let k = 0; k < wlen; k++) total += w[k]!;
    const half = total / 2;
    // Sorted window: positions (indices into ys) ordered by value then position.
    const win = new Int32Array(wlen);
    for (let k = 0; k < wlen; k++) win[k] = k;
    const cmp = (a: number, b: number) => ys[a]! - ys[b]! || a - b;
    const sorted = Array.from(win).sort(cmp);
    win.set(sorted);
    let size = wlen;
    for (let c = h; c < N - h; c++) {
      if (c > h) {
        // remove position c-h-1, insert c+h
        const rem = c - h - 1;
        let lo = 0;
        let hi = size - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cmp(win[mid]!, rem) < 0) lo = mid + 1;
          else hi = mid;
        }
        win.copyWithin(lo, lo + 1, size);
        size--;
        const add = c + h;
        lo = 0;
        hi = size;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cmp(win[mid]!, add) < 0) lo = mid + 1;
          else hi = mid;
        }
        win.copyWithin(lo + 1, lo, size);
        win[lo] = add;
        size++;
      }
      const base = c - h;
      let acc = 0;
      let val = ys[win[size - 1]!]!;
      for (let k = 0; k < size; k++) {
        const pos = win[k]!;
        acc += w[pos - base]!;
        if (acc >= half) {
          val = ys[pos]!;
          break;
        }
      }
      fitted[c] = val;
    }
    for (let c = 0; c < h; c++) fitted[c] = fitted[h]!;
    for (let c = N - h; c < N; c++) fitted[c] = fitted[N - h - 1]!;
  }
  for (let k = 0; k < N; k++) out[valid[k]!] = fitted[k]!;
  return out;
}
