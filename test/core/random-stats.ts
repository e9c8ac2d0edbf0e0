// Test-only statistics for the random sampler suites (moment z-scores, Kolmogorov–Smirnov,
// chi-square). Not a test file itself; imported by test/core/random-*.test.ts.
import { readFileSync } from "node:fs";
import { gammaincc } from "@scribe/core/special/scalar/index.js";
import { expect } from "vitest";

export interface MomentCase {
  dist: string;
  params: Record<string, number | number[]>;
  expected: { mean: number | number[] | string; variance: number | number[] | string };
}

/** The moments reference file (copied from shared/data/refvec/moments.json, mpmath closed forms). */
export const MOMENTS: MomentCase[] = JSON.parse(
  readFileSync(new URL("../fixtures/refvec/moments.json", import.meta.url), "utf8"),
);

/** Reference cases of one family whose params match `pred`. */
export function momentCases(
  dist: string,
  pred: (p: Record<string, number>) => boolean = () => true,
): MomentCase[] {
  return MOMENTS.filter((c) => c.dist === dist && pred(c.params as Record<string, number>));
}

/** Sample mean and unbiased variance. */
export function meanVar(
  xs: ArrayLike<number>,
  stride = 1,
  offset = 0,
): { mean: number; variance: number; n: number } {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = offset; i < xs.length; i += stride) {
    n++;
    const d = xs[i]! - mean;
    mean += d / n;
    m2 += d * (xs[i]! - mean);
  }
  return { mean, variance: m2 / (n - 1), n };
}

/**
 * z-scores of the sample mean and variance against known moments: SE(mean) = sqrt(var / n),
 * SE(variance) = sqrt((mu4 - var^2 (n-3)/(n-1)) / n) with mu4 = var^2 (3 + excess kurtosis). Pass
 * `excessKurtosis = NaN` to estimate mu4 from the sample (when no closed form is at hand).
 */
export function momentZ(
  xs: ArrayLike<number>,
  mean: number,
  variance: number,
  excessKurtosis: number,
  stride = 1,
  offset = 0,
): { zMean: number; zVar: number } {
  const s = meanVar(xs, stride, offset);
  const seMean = Math.sqrt(variance / s.n);
  let mu4 = variance * variance * (3 + excessKurtosis);
  if (Number.isNaN(excessKurtosis)) {
    mu4 = 0;
    for (let i = offset; i < xs.length; i += stride) mu4 += (xs[i]! - s.mean) ** 4;
    mu4 /= s.n;
  }
  // exact variance of the unbiased sample variance (positive even for a fair coin, where mu4 = var^2)
  const seVar = Math.sqrt((mu4 - (variance * variance * (s.n - 3)) / (s.n - 1)) / s.n);
  return { zMean: (s.mean - mean) / seMean, zVar: (s.variance - variance) / seVar };
}

/** Kolmogorov's limiting survival function Q(lambda) = 2 sum (-1)^(j-1) exp(-2 j^2 lambda^2). */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1;
  let s = 0;
  for (let j = 1; j <= 100; j++) {
    const t = Math.exp(-2 * j * j * lambda * lambda);
    s += (j % 2 === 1 ? 2 : -2) * t;
    if (t < 1e-17) break;
  }
  return Math.min(1, Math.max(0, s));
}

/**
 * One-sample Kolmogorov–Smirnov test against a continuous CDF; p-value from Kolmogorov's
 * limit with Stephens' small-sample correction lambda = (sqrt(n) + 0.12 + 0.11 / sqrt(n)) D.
 */
export function ksTest(xs: ArrayLike<number>, cdf: (x: number) => number): { d: number; p: number } {
  const sorted = Float64Array.from(xs).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const sn = Math.sqrt(n);
  return { d, p: kolmogorovQ((sn + 0.12 + 0.11 / sn) * d) };
}

/** Upper tail of the chi-square distribution with `df` degrees of freedom. */
export function chiSquareSf(stat: number, df: number): number {
  return gammaincc(df / 2, stat / 2);
}

/**
 * Chi-square goodness of fit of integer samples to a pmf. Consecutive values from `lo`
 * to `hi` are merged into bins of expected count >= minExpected; the first bin also
 * counts samples below `lo` (choose `lo` so that their mass is negligible) and the last
 * bin is open above, holding the remaining mass 1 - sum.
 */
export function chiSquareDiscrete(
  xs: ArrayLike<number>,
  pmf: (k: number) => number,
  lo: number,
  hi: number,
  minExpected = 20,
): { stat: number; df: number; p: number; bins: number } {
  const n = xs.length;
  const upper: number[] = []; // inclusive upper value of each bin
  const prob: number[] = [];
  let acc = 0;
  let total = 0;
  for (let k = lo; k <= hi; k++) {
    const pk = pmf(k);
    acc += pk;
    total += pk;
    if (acc * n >= minExpected) {
      upper.push(k);
      prob.push(acc);
      acc = 0;
    }
  }
  if (prob.length === 0) throw new Error("chiSquareDiscrete: no bin reached the minimum expected count");
  // the last bin takes the leftover mass and is open above
  prob[prob.length - 1] = prob[prob.length - 1]! + acc + Math.max(0, 1 - total - acc);
  upper[upper.length - 1] = Infinity;
  const counts = new Float64Array(prob.length);
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    let a = 0;
    let b = upper.length - 1;
    while (a < b) {
      const m = (a + b) >> 1;
      if (x <= upper[m]!) b = m;
      else a = m + 1;
    }
    counts[a]!++;
  }
  let stat = 0;
  for (let j = 0; j < prob.length; j++) {
    const e = n * prob[j]!;
    stat += ((counts[j]! - e) * (counts[j]! - e)) / e;
  }
  const df = prob.length - 1;
  return { stat, df, p: chiSquareSf(stat, df), bins: prob.length };
}

/**
 * The suites' asserting checks, each also logging its statistic to `report`: sample mean and
 * variance within `zTol` standard errors (momentZ), and KS / chi-square p-values above `pMin`.
 */
export function samplerChecks(report: string[], zTol = 5, pMin = 1e-3) {
  return {
    moments(
      label: string,
      xs: ArrayLike<number>,
      mean: number,
      variance: number,
      exKurt: number,
      stride = 1,
      offset = 0,
    ) {
      const z = momentZ(xs, mean, variance, exKurt, stride, offset);
      report.push(`${label}: zMean=${z.zMean.toFixed(2)} zVar=${z.zVar.toFixed(2)}`);
      expect(Math.abs(z.zMean)).toBeLessThan(zTol);
      expect(Math.abs(z.zVar)).toBeLessThan(zTol);
    },
    ks(label: string, xs: ArrayLike<number>, cdf: (x: number) => number) {
      const { d, p } = ksTest(xs, cdf);
      report.push(`${label}: KS D=${d.toExponential(2)} p=${p.toFixed(3)}`);
      expect(p).toBeGreaterThan(pMin);
    },
    chi2(label: string, xs: ArrayLike<number>, pmf: (k: number) => number, lo: number, hi: number) {
      const r = chiSquareDiscrete(xs, pmf, lo, hi);
      report.push(`${label}: chi2=${r.stat.toFixed(1)} df=${r.df} p=${r.p.toFixed(3)}`);
      expect(r.p).toBeGreaterThan(pMin);
    },
  };
}
