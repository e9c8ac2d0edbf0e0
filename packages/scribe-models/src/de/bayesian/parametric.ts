/**
 * The parametric method (SCRIBE `scribe.de`): Δ = CLR_A − CLR_B with each side a fitted low-rank
 * logistic-normal, so Δ ~ N(μ_A − μ_B, Σ_A + Σ_B) (independent sides) and every per-gene and
 * contrast probability is a normal CDF. The per-gene sd is floored at 1e−30 as upstream.
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
import { type ClrMoments, clrMoments, type LogisticNormalFit } from "./logistic-normal.js";

/** Δ's Gaussian posterior from two logistic-normal fits (CLR coordinates of the kept genes). */
export class ParametricPosterior implements DeltaPosterior {
  readonly method = "parametric" as const;
  readonly names: readonly string[];
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly probPositive: Float64Array;
  readonly probNegative: Float64Array;
  private readonly a: ClrMoments;
  private readonly b: ClrMoments;
  private readonly D: number;

  constructor(fitA: LogisticNormalFit, fitB: LogisticNormalFit) {
    checkSameGenes(fitA.genes, fitB.genes);
    if (fitA.hasOther !== fitB.hasOther)
      throw new Error(
        "parametric: one fit pools genes into 'other' and the other does not; use the same geneMask for both",
      );
    this.a = clrMoments(fitA);
    this.b = clrMoments(fitB);
    this.D = fitA.nParts;
    const m = fitA.genes.length;
    this.names = fitA.genes;
    this.mean = new Float64Array(m);
    this.sd = new Float64Array(m);
    this.probPositive = new Float64Array(m);
    this.probNegative = new Float64Array(m);
    for (let g = 0; g < m; g++) {
      this.mean[g] = this.a.mean[g]! - this.b.mean[g]!;
      this.sd[g] = Math.max(Math.sqrt(this.a.variance[g]! + this.b.variance[g]!), 1e-30);
      this.probPositive[g] = normalCdf(this.mean[g]! / this.sd[g]!);
      this.probNegative[g] = 1 - this.probPositive[g]!;
    }
  }

  tails(tau: number): Tails {
    checkTau(tau);
    const up = this.mean.map((mu, g) => normalCdf((mu - tau) / this.sd[g]!));
    const down = this.mean.map((mu, g) => normalCdf((-tau - mu) / this.sd[g]!));
    return { up, down };
  }

  contrast(c: Float64Array): ScalarPosterior {
    const m = this.names.length;
    if (c.length !== m) throw new Error(`contrast: ${c.length} weights for ${m} coordinates`);
    const D = this.D;
    const ct = new Float64Array(D);
    ct.set(c);
    const cBar = ct.reduce((s, v) => s + v, 0) / D;
    let mean = 0;
    for (let g = 0; g < D; g++) mean += ct[g]! * (this.a.mean[g]! - this.b.mean[g]!);
    let variance = 0;
    for (const side of [this.a, this.b]) {
      const r = side.rank;
      for (let k = 0; k < r; k++) {
        let s = 0;
        for (let g = 0; g < D; g++) s += side.W[g * r + k]! * ct[g]!;
        variance += s * s;
      }
      for (let g = 0; g < D; g++) variance += side.dTilde[g]! * (ct[g]! - cBar) ** 2;
    }
    return gaussianScalar(mean, Math.sqrt(variance));
  }
}
