/**
 * Quasi-likelihood dispersions and their empirical-Bayes shrinkage, glmGamPoi style
 * (glmGamPoi QL shrinkage steps 2–5): s²_g = (1 + m̄θ̂)/(1 + m̄θ̃), a scaled-F prior
 * s²/s0² ~ F(d, d0) fitted by maximum likelihood (intercept, then a natural-spline
 * trend in log m̄), and the posterior (d0 s0² + d s²)/(d0 + d).
 * @module
 */
import { householderQR, qrSolve } from "./linalg.js";
import { nelderMead } from "./nelder-mead.js";
import { LOG_D0_MAX, qlNewton } from "./ql-newton.js";
import { naturalSplineBasis } from "./spline-basis.js";
import { fLogDensity } from "./stat-dist.js";

/** Result of {@link qlShrinkage}. */
export interface QlShrinkage {
  /** Raw QL dispersions s²_g. */
  s2: Float64Array;
  /** Prior scale per gene s0²_g. */
  s0: Float64Array;
  /** Prior degrees of freedom d0 (may be Infinity). */
  d0: number;
  /** Posterior QL dispersions. */
  s2Post: Float64Array;
  /** Residual degrees of freedom d = n − p. */
  df: number;
  /** Test denominator df: d0 + d. */
  dfTotal: number;
}

/** QL dispersion ratio of the gene-wise and trended NB variances at the gene mean. */
export function qlDispersions(meanMu: Float64Array, theta: Float64Array, trend: Float64Array): Float64Array {
  return Float64Array.from(meanMu, (m, g) => (1 + m * theta[g]!) / (1 + m * trend[g]!));
}

function negLogLik(
  s2: Float64Array,
  idx: Int32Array,
  logS0: (k: number) => number,
  d: number,
  d0: number,
): number {
  let nll = 0;
  for (let k = 0; k < idx.length; k++) {
    const ls0 = logS0(k);
    const x = s2[idx[k]!]! / Math.exp(ls0);
    nll -= fLogDensity(x, d, d0) - ls0;
  }
  return nll;
}

/**
 * Fit the scaled-F prior by maximum likelihood and return posterior QL dispersions.
 * `s2` must be positive (NaN entries are ignored and stay NaN); `meanMu` is the
 * gene mean m̄ used for the abundance trend (used when ≥ 100 genes and ≥ 10 with
 * m̄ > 1e-8). All s² = 1 → d0 = ∞, s0² = 1.
 */
export function qlShrinkage(
  s2: Float64Array,
  meanMu: Float64Array,
  df: number,
  opts: { trend?: boolean } = {},
): QlShrinkage {
  const G = s2.length;
  if (!(df > 0)) throw new Error(`QL shrinkage: residual degrees of freedom ${df} must be positive`);
  const ok: number[] = [];
  for (let g = 0; g < G; g++) {
    const v = s2[g]!;
    if (Number.isNaN(v)) continue;
    if (!(v > 0)) throw new Error(`QL shrinkage: QL dispersion of gene ${g} is ${v}; all must be positive`);
    ok.push(g);
  }
  const s0 = new Float64Array(G).fill(Number.NaN);
  const s2Post = new Float64Array(G).fill(Number.NaN);
  const idxAll = Int32Array.from(ok);
  if (ok.every((g) => s2[g] === 1)) {
    for (const g of ok) {
      s0[g] = 1;
      s2Post[g] = 1;
    }
    return { s2, s0, d0: Number.POSITIVE_INFINITY, s2Post, df, dfTotal: Number.POSITIVE_INFINITY };
  }
  const toD0 = (l: number) => (l >= LOG_D0_MAX - 1e-9 ? Number.POSITIVE_INFINITY : Math.exp(l));
  // Intercept-only prior: Newton on (log s0², log d0) from (0, 0); Nelder–Mead fallback.
  const ls2All = Float64Array.from(ok, (g) => Math.log(s2[g]!));
  const ones = new Float64Array(ok.length).fill(1);
  let p1 = qlNewton(ls2All, ones, 1, df, Float64Array.from([0, 0]));
  if (p1 === null) {
    p1 = nelderMead(
      (par) => negLogLik(s2, idxAll, () => par[0]!, df, toD0(Math.min(par[1]!, LOG_D0_MAX))),
      [0, 0],
    ).x;
  }
  let d0 = toD0(p1[1]!);
  s0.fill(Math.exp(p1[0]!));
  const trendIdx = ok.filter((g) => meanMu[g]! > 1e-8);
  if ((opts.trend ?? true) && G >= 100 && trendIdx.length >= 10) {
    const idx = Int32Array.from(trendIdx);
    const lm = Float64Array.from(trendIdx, (g) => Math.log(meanMu[g]!));
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of lm) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const K = hi > lo ? 4 : 1;
    const knots = K === 4 ? [lo, lo + (hi - lo) / 3, lo + (2 * (hi - lo)) / 3, hi] : [lo];
    const B = naturalSplineBasis(lm, knots);
    const ls2 = Float64Array.from(trendIdx, (g) => Math.log(s2[g]!));
    const start = new Float64Array(K + 1);
    start[0] = p1[0]!;
    start[K] = p1[1]!;
    let p2 = qlNewton(ls2, B, K, df, start);
    if (p2 === null) {
      const a0 = qrSolve(householderQR(B, idx.length, K), ls2);
      const lin = new Float64Array(idx.length);
      const obj = (par: Float64Array) => {
        for (let k = 0; k < idx.length; k++) {
          let v = 0;
          for (let j = 0; j < K; j++) v += B[k * K + j]! * par[j]!;
          lin[k] = v;
        }
        return negLogLik(s2, idx, (k) => lin[k]!, df, toD0(Math.min(par[K]!, LOG_D0_MAX)));
      };
      p2 = nelderMead(obj, [...a0, 0], { maxit: 5000 }).x;
    }
    d0 = toD0(p2[K]!);
    for (let k = 0; k < idx.length; k++) {
      let v = 0;
      for (let j = 0; j < K; j++) v += B[k * K + j]! * p2[j]!;
      s0[idx[k]!] = Math.exp(v);
    }
  }
  for (const g of ok) {
    s2Post[g] = d0 === Number.POSITIVE_INFINITY ? s0[g]! : (d0 * s0[g]! + df * s2[g]!) / (d0 + df);
  }
  for (let g = 0; g < G; g++) if (Number.isNaN(s2[g]!)) s0[g] = Number.NaN;
  return { s2, s0, d0, s2Post, df, dfTotal: d0 + df };
}
