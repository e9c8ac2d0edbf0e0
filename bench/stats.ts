/** Correlations the benchmarks report (shared by W2 and W4). */

/** Pearson correlation. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Average ranks (ties get the mean rank); NaN stays NaN. */
function ranks(x: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: x.length }, (_, i) => i).filter((i) => !Number.isNaN(x[i]!));
  idx.sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(x.length).fill(Number.NaN);
  for (let k = 0; k < idx.length; ) {
    let j = k;
    while (j + 1 < idx.length && x[idx[j + 1]!] === x[idx[k]!]) j++;
    for (let m = k; m <= j; m++) r[idx[m]!] = (k + j) / 2 + 1;
    k = j + 1;
  }
  return r;
}

/** Spearman rank correlation over the entries finite in both. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const keep = Array.from({ length: a.length }, (_, i) => i).filter(
    (i) => Number.isFinite(a[i]!) && Number.isFinite(b[i]!),
  );
  const ra = ranks(keep.map((i) => a[i]!));
  const rb = ranks(keep.map((i) => b[i]!));
  return pearson(ra, rb);
}
