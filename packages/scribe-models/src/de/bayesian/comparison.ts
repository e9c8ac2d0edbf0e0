/**
 * The result of {@link compare}: Δ's posterior per gene with SCRIBE's decision quantities
 * (SCRIBE `scribe.de`): lfsr, lfsr_τ, prob_effect, PEFP and the threshold that reaches a target
 * PEFP, gene calls, tables, shrinkage and gene-set tests. Works the same for the empirical,
 * parametric and shrinkage methods through {@link DeltaPosterior}.
 * @module
 */
import type { BiologicalLevel } from "./biological.js";
import type { DeltaPosterior } from "./delta-posterior.js";
import { checkTau } from "./delta-posterior.js";
import { findThreshold, lfsrFrom, lfsrTauFrom, pefp } from "./error-control.js";
import {
  type ContrastResult,
  type GeneSetRow,
  type PerturbationOptions,
  testContrast,
  testGeneSet,
  testMultipleGeneSets,
  testPathwayPerturbation,
} from "./gene-sets.js";
import type { Reference } from "./log-ratio.js";
import { type ShrinkageOptions, ShrinkagePosterior } from "./shrinkage.js";

/** Per-gene quantities at one τ. */
export interface GeneLevel {
  readonly tau: number;
  readonly genes: readonly string[];
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  /** P(Δ>0). */
  readonly probPositive: Float64Array;
  readonly lfsr: Float64Array;
  /** P(Δ>τ). */
  readonly probUp: Float64Array;
  /** P(Δ<−τ). */
  readonly probDown: Float64Array;
  readonly lfsrTau: Float64Array;
  /** P(|Δ|>τ). */
  readonly probEffect: Float64Array;
}

/** One row of {@link BayesianComparison.toTable}. */
export interface ComparisonRow {
  gene: string;
  mean: number;
  sd: number;
  lfsr: number;
  lfsr_tau: number;
  prob_up: number;
  prob_down: number;
  prob_effect: number;
  called: boolean;
}

/** Which error measure PEFP and thresholds use. */
export interface ErrorOptions {
  tau?: number;
  /** Use lfsr_τ instead of lfsr (default false). */
  useLfsrTau?: boolean;
}

/** Options of {@link BayesianComparison.callGenes}. */
export interface CallOptions {
  tau?: number;
  /** Call genes with lfsr below this (default 0.05). */
  lfsrThreshold?: number;
  /** …and prob_effect above this (default 0.95). */
  probEffectThreshold?: number;
  /** Instead: call genes with lfsr_τ below the threshold that reaches this PEFP. */
  targetPefp?: number;
}

/** Descriptive fields of a comparison. */
export interface ComparisonInfo {
  labelA: string;
  labelB: string;
  reference: Reference;
  biological?: BiologicalLevel | null;
}

/** Differential expression between two fitted conditions (see the module comment). */
export class BayesianComparison {
  /** The posterior of Δ. */
  readonly posterior: DeltaPosterior;
  readonly method: DeltaPosterior["method"];
  readonly labelA: string;
  readonly labelB: string;
  readonly reference: Reference;
  /** Biological-level results (computeBiological), or null. */
  readonly biological: BiologicalLevel | null;
  private readonly cache = new Map<number, GeneLevel>();

  constructor(posterior: DeltaPosterior, info: ComparisonInfo) {
    this.posterior = posterior;
    this.method = posterior.method;
    this.labelA = info.labelA;
    this.labelB = info.labelB;
    this.reference = info.reference;
    this.biological = info.biological ?? null;
  }

  /** Coordinate (gene) names. */
  get genes(): readonly string[] {
    return this.posterior.names;
  }

  /** Per-gene quantities at τ (default 0), cached per τ; an array of τ gives one entry each. */
  geneLevel(tau?: number): GeneLevel;
  geneLevel(tau: readonly number[]): GeneLevel[];
  geneLevel(tau: number | readonly number[] = 0): GeneLevel | GeneLevel[] {
    if (typeof tau !== "number") return tau.map((t) => this.geneLevel(t));
    checkTau(tau);
    const hit = this.cache.get(tau);
    if (hit) return hit;
    const p = this.posterior;
    const { up, down } = p.tails(tau);
    const gl: GeneLevel = {
      tau,
      genes: p.names,
      mean: p.mean,
      sd: p.sd,
      probPositive: p.probPositive,
      lfsr: lfsrFrom(p.probPositive, p.probNegative),
      probUp: up,
      probDown: down,
      lfsrTau: lfsrTauFrom(up, down),
      probEffect: up.map((u, i) => u + down[i]!),
    };
    this.cache.set(tau, gl);
    return gl;
  }

  private errors(opts: ErrorOptions): Float64Array {
    const gl = this.geneLevel(opts.tau ?? 0);
    return opts.useLfsrTau ? gl.lfsrTau : gl.lfsr;
  }

  /** PEFP of the genes whose lfsr (or lfsr_τ) is below `threshold`. */
  pefp(threshold = 0.05, opts: ErrorOptions = {}): number {
    return pefp(this.errors(opts), threshold);
  }

  /** The lfsr (or lfsr_τ) threshold reaching `targetPefp` (see `findThreshold`). */
  findThreshold(targetPefp = 0.05, opts: ErrorOptions = {}): number {
    return findThreshold(this.errors(opts), targetPefp);
  }

  /**
   * Gene calls: (lfsr < lfsrThreshold) & (prob_effect > probEffectThreshold) (upstream's
   * defaults 0.05 and 0.95), or with `targetPefp` the genes with lfsr_τ below the threshold
   * that reaches that PEFP.
   */
  callGenes(opts: CallOptions = {}): boolean[] {
    const tau = opts.tau ?? 0;
    const gl = this.geneLevel(tau);
    if (opts.targetPefp !== undefined) {
      const t = findThreshold(gl.lfsrTau, opts.targetPefp);
      return Array.from(gl.lfsrTau, (v) => v < t);
    }
    const lt = opts.lfsrThreshold ?? 0.05;
    const pe = opts.probEffectThreshold ?? 0.95;
    return Array.from(gl.lfsr, (v, i) => v < lt && gl.probEffect[i]! > pe);
  }

  /**
   * One row per gene; `called` marks the genes with lfsr_τ below the threshold reaching
   * `targetPefp` (default 0.05). Also returns that threshold and the achieved PEFP.
   */
  toTable(opts: { tau?: number; targetPefp?: number } = {}): {
    rows: ComparisonRow[];
    threshold: number;
    pefp: number;
    tau: number;
  } {
    const tau = opts.tau ?? 0;
    const gl = this.geneLevel(tau);
    const threshold = findThreshold(gl.lfsrTau, opts.targetPefp ?? 0.05);
    const rows = gl.genes.map((gene, i) => ({
      gene,
      mean: gl.mean[i]!,
      sd: gl.sd[i]!,
      lfsr: gl.lfsr[i]!,
      lfsr_tau: gl.lfsrTau[i]!,
      prob_up: gl.probUp[i]!,
      prob_down: gl.probDown[i]!,
      prob_effect: gl.probEffect[i]!,
      called: gl.lfsrTau[i]! < threshold,
    }));
    return { rows, threshold, pefp: pefp(gl.lfsrTau, threshold), tau };
  }

  /** The top genes by `sortBy` (default lfsr ascending; "prob_effect" and "abs_mean" descending). */
  summary(
    opts: {
      tau?: number;
      sortBy?: "lfsr" | "lfsr_tau" | "prob_effect" | "mean" | "abs_mean";
      topN?: number;
      targetPefp?: number;
    } = {},
  ): ComparisonRow[] {
    const { rows } = this.toTable(opts);
    const by = opts.sortBy ?? "lfsr";
    const key: Record<string, (r: ComparisonRow) => number> = {
      lfsr: (r) => r.lfsr,
      lfsr_tau: (r) => r.lfsr_tau,
      prob_effect: (r) => -r.prob_effect,
      mean: (r) => -r.mean,
      abs_mean: (r) => -Math.abs(r.mean),
    };
    const f = key[by];
    if (!f)
      throw new Error(
        `summary: unknown sortBy ${JSON.stringify(by)}; expected ${Object.keys(key).join(", ")}`,
      );
    return rows.sort((a, b) => f(a) - f(b)).slice(0, opts.topN ?? 20);
  }

  /** Adaptive shrinkage of this comparison's per-gene estimates (see `ShrinkagePosterior`). */
  shrink(opts: ShrinkageOptions = {}): BayesianComparison {
    return new BayesianComparison(new ShrinkagePosterior(this.posterior, opts), {
      labelA: this.labelA,
      labelB: this.labelB,
      reference: this.reference,
      biological: this.biological,
    });
  }

  private checkBalanceReference(): void {
    if (this.reference === "ilr")
      throw new Error("gene-set tests need gene coordinates (clr, alr, iqlr or a reference set), not ilr");
  }

  /** The ILR balance of a gene set against the other genes. */
  testGeneSet(
    genes: readonly (string | number)[],
    opts: { tau?: number } = {},
  ): ContrastResult & { size: number } {
    this.checkBalanceReference();
    return testGeneSet(this.posterior, genes, opts.tau ?? 0);
  }

  /** A linear contrast of Δ (weights per coordinate, or by gene name). */
  testContrast(
    weights: Float64Array | Readonly<Record<string, number>>,
    opts: { tau?: number } = {},
  ): ContrastResult {
    return testContrast(this.posterior, weights, opts.tau ?? 0);
  }

  /** Whether a set's genes change more than random sets of its size (seeded permutations). */
  testPathwayPerturbation(genes: readonly (string | number)[], opts: PerturbationOptions = {}) {
    return testPathwayPerturbation(this.posterior, genes, opts);
  }

  /** Balance and perturbation tests for several sets, BH-adjusted over the sets. */
  testMultipleGeneSets(
    sets: Readonly<Record<string, readonly (string | number)[]>>,
    opts: PerturbationOptions & { tau?: number } = {},
  ): GeneSetRow[] {
    this.checkBalanceReference();
    return testMultipleGeneSets(this.posterior, sets, opts);
  }
}
