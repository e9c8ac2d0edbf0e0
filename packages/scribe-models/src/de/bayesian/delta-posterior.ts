/**
 * The posterior of the log-ratio change Δ = lr(ρ_A) − lr(ρ_B), per coordinate, as every
 * method leaves it: moments, sign probabilities, tail probabilities at any τ, and the
 * posterior of any linear contrast c·Δ (gene-set balances). Implemented from draws
 * ({@link EmpiricalPosterior}), by a Gaussian (parametric) and by a normal scale mixture
 * (shrinkage).
 * @module
 */
import { specialScalar } from "@scribe/core";

/** Tail probabilities P(Δ>τ) (`up`) and P(Δ<−τ) (`down`). */
export interface Tails {
  readonly up: Float64Array;
  readonly down: Float64Array;
}

/** The posterior of one scalar quantity (a contrast of Δ). */
export interface ScalarPosterior {
  readonly mean: number;
  readonly sd: number;
  readonly probPositive: number;
  readonly probNegative: number;
  /** P(x>τ) and P(x<−τ). */
  tail(tau: number): { up: number; down: number };
}

/** The posterior of Δ over the output coordinates. */
export interface DeltaPosterior {
  readonly method: "empirical" | "parametric" | "shrinkage";
  /** Coordinate names (genes, or ILR coordinates). */
  readonly names: readonly string[];
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  /** P(Δ>0). */
  readonly probPositive: Float64Array;
  /** P(Δ<0). */
  readonly probNegative: Float64Array;
  /** P(Δ>τ), P(Δ<−τ) for τ ≥ 0. */
  tails(tau: number): Tails;
  /** Posterior of c·Δ for a weight per coordinate. */
  contrast(c: Float64Array): ScalarPosterior;
}

/** Check τ: finite and ≥ 0. */
export function checkTau(tau: number): void {
  if (!(Number.isFinite(tau) && tau >= 0)) throw new Error(`tau must be a finite number ≥ 0, got ${tau}`);
}

/** Standard normal CDF. */
export const normalCdf = specialScalar.ndtr;

/** The posterior N(mean, sd²) of a scalar (sd floored at 1e−30, as upstream). */
export function gaussianScalar(mean: number, sd: number): ScalarPosterior {
  const s = Math.max(sd, 1e-30);
  const pp = normalCdf(mean / s);
  return {
    mean,
    sd,
    probPositive: pp,
    probNegative: 1 - pp,
    tail: (tau) => ({ up: normalCdf((mean - tau) / s), down: normalCdf((-tau - mean) / s) }),
  };
}

/** The empirical posterior of a scalar from its draws. */
export function sampleScalar(x: Float64Array): ScalarPosterior {
  const n = x.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i]!;
  m /= n;
  let ss = 0;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    ss += d * d;
    if (x[i]! > 0) pos++;
    else if (x[i]! < 0) neg++;
  }
  return {
    mean: m,
    sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0,
    probPositive: pos / n,
    probNegative: neg / n,
    tail(tau) {
      let up = 0;
      let down = 0;
      for (let i = 0; i < n; i++) {
        if (x[i]! > tau) up++;
        else if (x[i]! < -tau) down++;
      }
      return { up: up / n, down: down / n };
    },
  };
}

/** Per-coordinate counts of one streaming pass over paired draws. */
export interface EmpiricalCounts {
  readonly names: readonly string[];
  readonly nDraws: number;
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly nPositive: Float64Array;
  readonly nNegative: Float64Array;
  /** Counts of Δ>τ and Δ<−τ for the τ values asked for in the pass. */
  readonly tailCounts: ReadonlyMap<number, { up: Float64Array; down: Float64Array }>;
  /** All Δ draws [nDraws, nOut] (float32), when kept. */
  readonly draws: Float32Array | null;
}

/** Δ's posterior from paired draws (empirical method). */
export class EmpiricalPosterior implements DeltaPosterior {
  readonly method = "empirical" as const;
  readonly names: readonly string[];
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly probPositive: Float64Array;
  readonly probNegative: Float64Array;
  /** Number of paired draws. */
  readonly nDraws: number;
  /** The Δ draws [nDraws, nOut] when kept (null otherwise). */
  readonly draws: Float32Array | null;
  private readonly counts: EmpiricalCounts;

  constructor(c: EmpiricalCounts) {
    this.counts = c;
    this.names = c.names;
    this.nDraws = c.nDraws;
    this.mean = c.mean;
    this.sd = c.sd;
    this.probPositive = c.nPositive.map((v) => v / c.nDraws);
    this.probNegative = c.nNegative.map((v) => v / c.nDraws);
    this.draws = c.draws;
  }

  tails(tau: number): Tails {
    checkTau(tau);
    const n = this.nDraws;
    for (const [t, v] of this.counts.tailCounts)
      if (Math.abs(t - tau) <= 1e-12 * Math.max(1, tau))
        return { up: v.up.map((x) => x / n), down: v.down.map((x) => x / n) };
    const d = this.draws;
    if (!d)
      throw new Error(
        `tail probabilities at tau=${tau} were not computed in the comparison pass (computed: ${[...this.counts.tailCounts.keys()].join(", ") || "none"}) and the draws were not kept; pass tau: [${tau}] or keepDraws: true to compare()`,
      );
    const m = this.names.length;
    const up = new Float64Array(m);
    const down = new Float64Array(m);
    for (let s = 0; s < n; s++)
      for (let j = 0; j < m; j++) {
        const v = d[s * m + j]!;
        if (v > tau) up[j]!++;
        else if (v < -tau) down[j]!++;
      }
    for (let j = 0; j < m; j++) {
      up[j] = up[j]! / n;
      down[j] = down[j]! / n;
    }
    return { up, down };
  }

  contrast(c: Float64Array): ScalarPosterior {
    const d = this.draws;
    const m = this.names.length;
    if (c.length !== m) throw new Error(`contrast: ${c.length} weights for ${m} coordinates`);
    if (!d)
      throw new Error(
        "gene-set and contrast tests on the empirical method need the Δ draws: pass keepDraws: true to compare()",
      );
    const x = new Float64Array(this.nDraws);
    for (let s = 0; s < this.nDraws; s++) {
      let v = 0;
      for (let j = 0; j < m; j++) v += c[j]! * d[s * m + j]!;
      x[s] = v;
    }
    return sampleScalar(x);
  }
}
