/**
 * The parametric method (SCRIBE `scribe.de`): each side is a fitted low-rank logistic-normal,
 * i.e. Gaussian log-abundances l = (z, 0) over the D parts with z ~ N(μ, W Wᵀ + diag(d)) in ALR
 * coordinates. Every log-ratio reference — CLR (default), ALR, ILR (Helmert), IQLR or an
 * explicit reference set — is a linear map A of l whose rows are contrasts, so on each side the
 * coordinates are exactly Gaussian with mean Aμ̃ and covariance A(W̃W̃ᵀ + diag(d̃))Aᵀ (μ̃, W̃, d̃
 * padded with the reference part's zeros), and Δ ~ N(mean_A − mean_B, cov_A + cov_B) for
 * independent sides. Per-gene and contrast probabilities are normal CDFs; the per-coordinate sd
 * is floored at 1e−30 as upstream.
 *
 * IQLR's reference set depends on the data: as the empirical method, the genes whose CLR
 * variance over the draws of both sides lies within [Q1, Q3]; here that pooled variance is
 * computed from the two fits' CLR moments (the variance of the union of nA and nB draws), so on
 * the same draws both methods choose the same set.
 * @module
 */

import {
  checkTau,
  type DeltaPosterior,
  gaussianScalar,
  normalCdf,
  type ScalarPosterior,
  type Tails,
} from "./delta-posterior.js";
import { checkSameGenes } from "./empirical.js";
import {
  adjointWeights,
  diagonalQuadratic,
  type LogRatioPlan,
  type Reference,
  resolveReference,
} from "./log-ratio.js";
import { clrMoments, type LogisticNormalFit } from "./logistic-normal.js";

/** Options of {@link ParametricPosterior}: the log-ratio coordinates of Δ. */
export interface ParametricReferenceOptions {
  /** Log-ratio coordinates (default "clr"). */
  reference?: Reference;
  /** ALR: the reference gene (name or kept-gene index; default the last kept gene). */
  alrReference?: string | number;
}

/** One side's Gaussian log-abundances over the D parts (ALR moments padded with the reference's 0). */
interface PaddedGaussian {
  readonly mean: Float64Array;
  /** W̃, D × rank, row-major. */
  readonly W: Float64Array;
  readonly rank: number;
  readonly d: Float64Array;
}

function padded(fit: LogisticNormalFit): PaddedGaussian {
  const D = fit.nParts;
  const mean = new Float64Array(D);
  mean.set(fit.mu);
  const W = new Float64Array(D * fit.rank);
  W.set(fit.W);
  const d = new Float64Array(D);
  d.set(fit.d);
  return { mean, W, rank: fit.rank, d };
}

/** Mean and variance of every output coordinate of `plan` on one Gaussian side. */
function coordinateMoments(side: PaddedGaussian, plan: LogRatioPlan) {
  const m = plan.nOut;
  const D = plan.D;
  const mean = new Float64Array(m);
  plan.apply(side.mean, mean);
  const variance = diagonalQuadratic(plan, side.d, new Float64Array(m));
  const column = new Float64Array(D);
  const mapped = new Float64Array(m);
  for (let k = 0; k < side.rank; k++) {
    for (let i = 0; i < D; i++) column[i] = side.W[i * side.rank + k]!;
    plan.apply(column, mapped);
    for (let j = 0; j < m; j++) variance[j]! += mapped[j]! ** 2;
  }
  return { mean, variance };
}

/** Variance of the contrast with part weights v (summing to 0) on one side. */
function contrastVariance(side: PaddedGaussian, v: Float64Array): number {
  const D = v.length;
  let variance = 0;
  for (let k = 0; k < side.rank; k++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += side.W[i * side.rank + k]! * v[i]!;
    variance += s * s;
  }
  for (let i = 0; i < D; i++) variance += side.d[i]! * v[i]! ** 2;
  return variance;
}

/**
 * Per kept gene, the variance of its CLR value over the union of both sides' draws (nA and nB
 * of them, sample variances with n − 1): ((nA−1)vA + (nB−1)vB + nA·nB/(nA+nB)·(mA−mB)²)/(nA+nB−1).
 */
function pooledClrVariance(a: LogisticNormalFit, b: LogisticNormalFit, nGenes: number): Float64Array {
  const ca = clrMoments(a);
  const cb = clrMoments(b);
  const na = a.nSamples;
  const nb = b.nSamples;
  const out = new Float64Array(nGenes);
  for (let g = 0; g < nGenes; g++)
    out[g] =
      ((na - 1) * ca.variance[g]! +
        (nb - 1) * cb.variance[g]! +
        ((na * nb) / (na + nb)) * (ca.mean[g]! - cb.mean[g]!) ** 2) /
      (na + nb - 1);
  return out;
}

/** Δ's Gaussian posterior from two logistic-normal fits, in any log-ratio reference. */
export class ParametricPosterior implements DeltaPosterior {
  readonly method = "parametric" as const;
  readonly names: readonly string[];
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly probPositive: Float64Array;
  readonly probNegative: Float64Array;
  /** The log-ratio map of the output coordinates. */
  readonly plan: LogRatioPlan;
  private readonly a: PaddedGaussian;
  private readonly b: PaddedGaussian;

  constructor(fitA: LogisticNormalFit, fitB: LogisticNormalFit, opts: ParametricReferenceOptions = {}) {
    checkSameGenes(fitA.genes, fitB.genes);
    if (fitA.hasOther !== fitB.hasOther)
      throw new Error(
        "parametric: one fit pools genes into 'other' and the other does not; use the same geneMask for both",
      );
    this.a = padded(fitA);
    this.b = padded(fitB);
    this.plan = resolveReference(fitA.genes, fitA.hasOther, opts.reference ?? "clr", opts.alrReference, () =>
      pooledClrVariance(fitA, fitB, fitA.genes.length),
    );
    const ma = coordinateMoments(this.a, this.plan);
    const mb = coordinateMoments(this.b, this.plan);
    const m = this.plan.nOut;
    this.names = this.plan.names;
    this.mean = new Float64Array(m);
    this.sd = new Float64Array(m);
    this.probPositive = new Float64Array(m);
    this.probNegative = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      this.mean[j] = ma.mean[j]! - mb.mean[j]!;
      this.sd[j] = Math.max(Math.sqrt(ma.variance[j]! + mb.variance[j]!), 1e-30);
      this.probPositive[j] = normalCdf(this.mean[j]! / this.sd[j]!);
      this.probNegative[j] = 1 - this.probPositive[j]!;
    }
  }

  tails(tau: number): Tails {
    checkTau(tau);
    const up = this.mean.map((mu, g) => normalCdf((mu - tau) / this.sd[g]!));
    const down = this.mean.map((mu, g) => normalCdf((-tau - mu) / this.sd[g]!));
    return { up, down };
  }

  contrast(c: Float64Array): ScalarPosterior {
    const v = adjointWeights(this.plan, c);
    let mean = 0;
    for (let i = 0; i < v.length; i++) mean += v[i]! * (this.a.mean[i]! - this.b.mean[i]!);
    const variance = contrastVariance(this.a, v) + contrastVariance(this.b, v);
    return gaussianScalar(mean, Math.sqrt(variance));
  }
}
