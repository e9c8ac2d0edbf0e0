/**
 * Method-of-moments two-group NB comparison (after arXiv 2508.04111,
 * V. Svensson 2025, whose code was not available — this is our reconstruction).
 *
 * Assumptions: two groups; counts y_i ~ NB(mean s_i·m_k, overdispersion θ) with
 * known size factors s_i; one θ per gene shared by both groups (pooled moments);
 * no covariates. Everything is closed form: O(n) per gene, no iteration.
 *
 * 1. z_i = y_i/s_i; group means m_k; within-group sums of squares SS_k.
 * 2. E[SS_k] = (n_k − 1)[m_k·mean_k(1/s) + θ m_k²], so the pooled moment estimate is
 *    θ̂ = Σ_k [SS_k − (n_k − 1) m_k mean_k(1/s)] / Σ_k (n_k − 1) m_k², truncated at 0.
 * 3. β̂ = log m_B − log m_A (log2FC = β̂/ln 2), clamped to ±maxLfc in log2 units.
 * 4. Var(log m_k) ≈ (mean_k(1/s)/m_k + θ)/n_k (delta method).
 * 5. Default (`moderate: true`), a quasi-likelihood-style moderation in closed form:
 *    - trend θ_tr(m): the pooled moments estimate of one θ shared by the genes of
 *      similar mean (Σ numerators / Σ denominators of step 2 over a window of
 *      ± max(50, 2.5 % of genes) neighbours in mean order);
 *    - variance ratio φ_g = (SS_A + SS_B) / E[SS_A + SS_B | θ_tr] (n − 2 df);
 *    - empirical-Bayes prior φ_g ~ s0²·F(n − 2, d0) fitted by maximum likelihood
 *      (intercept only; `priorFit: "moments"` uses limma's fitFDist instead), posterior
 *      φ̃_g = (d0 s0² + (n−2) φ_g)/(d0 + n − 2);
 *    - SE² = φ̃_g·Σ_k (mean_k(1/s)/m_k + θ_tr)/n_k, t = β̂/SE, p from Student t with
 *      d0 + n − 2 df.
 *    The prior fit is a few Newton steps over all genes at once; there is no
 *    per-gene iteration. This moderation is what keeps 2-vs-2 and 3-vs-3
 *    comparisons calibrated (uniform p-values under permuted labels; see
 *    test/models/de-simulation.test.ts); without it (`moderate: false`) the per-gene
 *    θ̂ is used with a Satterthwaite-df t reference (Poisson part known, θ part with
 *    n − 2 df), which is anti-conservative below ~5 replicates per group.
 * Not covered: covariates, more than two groups, per-group θ (the paper's exact
 * variant is unverified, see arXiv 2508.04111).
 * An all-zero group gives an infinite fold change: the group mean is replaced by
 * half a count over the group's total size factor (a pseudocount) for the
 * estimate and its variance. All-zero genes get p = 1.
 * @module
 */

import { withTableDisplay } from "../plots/display.js";
import { adjustBH } from "./bh.js";
import { type CountMatrix, geneNames, validateCounts } from "./counts.js";
import { fitFDistMoments } from "./fit-fdist.js";
import { qlShrinkage } from "./ql-shrinkage.js";
import { estimateSizeFactors, type SizeFactorMethod } from "./size-factors.js";
import { tTwoSided } from "./stat-dist.js";
import type { DeTable } from "./tests.js";

/** Options of {@link momTest}. */
export interface MomTestOptions {
  /** One label per sample; exactly two distinct labels. */
  conditions: readonly string[];
  /** The reference (denominator) label; default first in sorted order. */
  reference?: string;
  /** Size-factor method or values (default `"normed_sum"`). */
  sizeFactors?: SizeFactorMethod | ArrayLike<number>;
  /** Empirical-Bayes moderation of θ̂ towards the mean trend (default true). */
  moderate?: boolean;
  /** Fraction of genes (by mean) pooled for the θ trend (default 0.05, at least 50 genes). */
  trendWindow?: number;
  /** Prior fit for the variance ratios: `"ml"` (scaled-F maximum likelihood, intercept only; default) or `"moments"` (limma fitFDist). */
  priorFit?: "moments" | "ml";
  /** Clamp of |log2FC| (default 10). */
  maxLfc?: number;
}

/** {@link DeTable} plus the MoM group means. */
export interface MomTable extends DeTable {
  /** Normalised mean of the reference group. */
  meanA: Float64Array;
  /** Normalised mean of the other group. */
  meanB: Float64Array;
  /** Per-gene Satterthwaite degrees of freedom of the Wald statistic. */
  dfWald: Float64Array;
}

/**
 * Method-of-moments two-group NB test (see the module documentation for the model
 * and assumptions). Columns as {@link DeTable}; `statistic` is the Wald t,
 * `dispersion` the (moderated) moments θ.
 * @example
 * ```ts
 * const t = momTest(counts, { conditions: ["A", "A", "B", "B"], reference: "A" });
 * ```
 */
export function momTest(counts: CountMatrix, opts: MomTestOptions): MomTable {
  validateCounts(counts, true);
  const { data: y, nGenes: G, nSamples: n } = counts;
  if (opts.conditions.length !== n)
    throw new Error(`momTest: ${opts.conditions.length} conditions for ${n} samples`);
  const levels = [...new Set(opts.conditions)].sort();
  if (levels.length !== 2)
    throw new Error(`momTest: needs exactly two groups, got ${levels.length} (${levels.join(", ")})`);
  const ref = opts.reference ?? levels[0]!;
  if (!levels.includes(ref))
    throw new Error(`momTest: reference '${ref}' is not a level (levels: ${levels.join(", ")})`);
  const other = levels.find((l) => l !== ref)!;
  const grp = Int32Array.from(opts.conditions, (c) => (c === ref ? 0 : 1));
  const nk = [0, 0];
  for (let i = 0; i < n; i++) nk[grp[i]!]!++;
  if (nk[0]! < 2 || nk[1]! < 2)
    throw new Error(`momTest: each group needs ≥ 2 samples (${ref}: ${nk[0]}, ${other}: ${nk[1]})`);
  const s = estimateSizeFactors(counts, opts.sizeFactors ?? "normed_sum");
  const invS = Float64Array.from(s, (v) => 1 / v);
  const sumS = [0, 0];
  const meanInvS = [0, 0];
  for (let i = 0; i < n; i++) {
    sumS[grp[i]!]! += s[i]!;
    meanInvS[grp[i]!]! += invS[i]!;
  }
  meanInvS[0]! /= nk[0]!;
  meanInvS[1]! /= nk[1]!;
  const dfRes = n - 2;
  const meanA = new Float64Array(G);
  const meanB = new Float64Array(G);
  const theta = new Float64Array(G);
  const overall = new Float64Array(G);
  const thetaNum = new Float64Array(G);
  const thetaDen = new Float64Array(G);
  const poisPart = new Float64Array(G);
  const ssTot = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const off = g * n;
    let mA = 0;
    let mB = 0;
    for (let i = 0; i < n; i++) {
      const z = y[off + i]! * invS[i]!;
      if (grp[i] === 0) mA += z;
      else mB += z;
    }
    mA /= nk[0]!;
    mB /= nk[1]!;
    let ssA = 0;
    let ssB = 0;
    for (let i = 0; i < n; i++) {
      const z = y[off + i]! * invS[i]!;
      if (grp[i] === 0) ssA += (z - mA) ** 2;
      else ssB += (z - mB) ** 2;
    }
    meanA[g] = mA;
    meanB[g] = mB;
    const pois = (nk[0]! - 1) * mA * meanInvS[0]! + (nk[1]! - 1) * mB * meanInvS[1]!;
    const denom = (nk[0]! - 1) * mA * mA + (nk[1]! - 1) * mB * mB;
    thetaNum[g] = ssA + ssB - pois;
    thetaDen[g] = denom;
    poisPart[g] = pois;
    ssTot[g] = ssA + ssB;
    const t = denom > 0 ? (ssA + ssB - pois) / denom : 0;
    theta[g] = Math.max(t, 0);
    overall[g] = 0.5 * (mA + mB);
  }
  const maxLfc = opts.maxLfc ?? 10;
  const log2FC = new Float64Array(G);
  const statistic = new Float64Array(G);
  const pval = new Float64Array(G);
  const dfWald = new Float64Array(G);
  const moderate = opts.moderate ?? true;
  // Moderated path: trend θ_tr from pooled moments over neighbouring genes (by mean),
  // QL-type variance ratios φ_g = SS_g / E[SS_g | θ_tr], squeezed with limma's fitFDist.
  let thetaTrend: Float64Array | null = null;
  let phiPost: Float64Array | null = null;
  let dfTotal = dfRes;
  if (moderate) {
    thetaTrend = pooledTrend(overall, thetaNum, thetaDen, opts.trendWindow ?? 0.05);
    const phi = new Float64Array(G).fill(Number.NaN);
    for (let g = 0; g < G; g++) {
      const e = poisPart[g]! + thetaTrend[g]! * thetaDen[g]!;
      if (e > 0) phi[g] = ssTot[g]! / e;
    }
    if ((opts.priorFit ?? "ml") === "ml") {
      const sh = qlShrinkage(phi, overall, dfRes, { trend: false });
      dfTotal = sh.dfTotal;
      phiPost = sh.s2Post;
    } else {
      const prior = fitFDistMoments(phi, dfRes);
      const d0 = prior.df2;
      dfTotal = d0 + dfRes;
      phiPost = Float64Array.from(phi, (v) =>
        Number.isNaN(v)
          ? v
          : d0 === Number.POSITIVE_INFINITY
            ? prior.scale
            : (d0 * prior.scale + dfRes * v) / (d0 + dfRes),
      );
    }
  }
  for (let g = 0; g < G; g++) {
    let mA = meanA[g]!;
    let mB = meanB[g]!;
    if (mA === 0 && mB === 0) {
      log2FC[g] = 0;
      statistic[g] = 0;
      pval[g] = 1;
      dfWald[g] = Number.NaN;
      continue;
    }
    if (mA === 0) mA = 0.5 / sumS[0]!;
    if (mB === 0) mB = 0.5 / sumS[1]!;
    const beta = Math.log(mB) - Math.log(mA);
    const P = meanInvS[0]! / mA / nk[0]! + meanInvS[1]! / mB / nk[1]!;
    let se: number;
    let df: number;
    if (thetaTrend && phiPost) {
      const T = thetaTrend[g]! * (1 / nk[0]! + 1 / nk[1]!);
      se = Math.sqrt(phiPost[g]! * (P + T));
      df = dfTotal;
      theta[g] = thetaTrend[g]!;
    } else {
      const T = theta[g]! * (1 / nk[0]! + 1 / nk[1]!);
      se = Math.sqrt(P + T);
      df = T > 0 ? ((P + T) ** 2 * dfRes) / (T * T) : Number.POSITIVE_INFINITY;
    }
    const tstat = beta / se;
    log2FC[g] = Math.min(Math.max(beta / Math.LN2, -maxLfc), maxLfc);
    statistic[g] = tstat;
    dfWald[g] = df;
    pval[g] = tTwoSided(tstat, df > 1e12 ? Number.POSITIVE_INFINITY : df);
  }
  return withTableDisplay({
    gene: geneNames(counts),
    log2FC,
    statistic,
    pval,
    padj: adjustBH(pval),
    dispersion: theta,
    df1: 1,
    df2: Number.NaN,
    method: "wald",
    meanA,
    meanB,
    dfWald,
  });
}

/**
 * Trend of θ against the gene mean by pooled moments: genes sorted by mean, for each
 * gene Σ num / Σ den over a window of ± max(50, fraction·G/2) neighbours (the moments
 * estimator of one θ shared by genes of similar mean), truncated at 0.
 */
export function pooledTrend(
  mean: Float64Array,
  num: Float64Array,
  den: Float64Array,
  fraction: number,
): Float64Array {
  const G = mean.length;
  const order = Array.from({ length: G }, (_, g) => g).sort((a, b) => mean[a]! - mean[b]! || a - b);
  const cn = new Float64Array(G + 1);
  const cd = new Float64Array(G + 1);
  for (let k = 0; k < G; k++) {
    cn[k + 1] = cn[k]! + num[order[k]!]!;
    cd[k + 1] = cd[k]! + den[order[k]!]!;
  }
  const h = Math.max(50, Math.floor((fraction * G) / 2));
  const out = new Float64Array(G);
  for (let k = 0; k < G; k++) {
    const lo = Math.max(0, k - h);
    const hi = Math.min(G, k + h + 1);
    const d = cd[hi]! - cd[lo]!;
    const t = d > 0 ? (cn[hi]! - cn[lo]!) / d : 0;
    out[order[k]!] = Math.max(t, 0);
  }
  return out;
}
