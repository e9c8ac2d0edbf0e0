/**
 * Gene-set tests on a comparison's Δ posterior (SCRIBE `scribe.de` `test_gene_set`,
 * `test_contrast`, `test_pathway_perturbation`, `test_multiple_gene_sets`).
 *
 * - A set's balance against the rest (ILR balance, see `balanceVector`) is the linear contrast
 *   v·Δ with v summing to 0, so it is the same in CLR, ALR, IQLR or set-reference coordinates.
 * - The perturbation test asks whether the set's genes move more than random sets of the same
 *   size: statistic T = mean over the set of (E[Δ_g]/sd(Δ_g))², p-value (1 + #{T_perm ≥ T}) /
 *   (1 + nPermutations) over seeded random sets (our definition; upstream's exact statistic was
 *   not documented where we read it).
 * @module
 */
import { foldIn, type Key, key as makeKey } from "@scribe/core";
import { adjustBH } from "../bh.js";
import { checkTau, type DeltaPosterior, type ScalarPosterior } from "./delta-posterior.js";
import { GammaStream } from "./gamma-stream.js";
import { balanceVector } from "./log-ratio.js";

/** The posterior summary of a contrast or balance. */
export interface ContrastResult {
  readonly mean: number;
  readonly sd: number;
  readonly probPositive: number;
  readonly lfsr: number;
  readonly tau: number;
  readonly probUp: number;
  readonly probDown: number;
  readonly lfsrTau: number;
  readonly probEffect: number;
}

/** Summarise a scalar posterior at τ. */
export function summarizeScalar(p: ScalarPosterior, tau = 0): ContrastResult {
  checkTau(tau);
  const t = p.tail(tau);
  return {
    mean: p.mean,
    sd: p.sd,
    probPositive: p.probPositive,
    lfsr: 1 - Math.max(p.probPositive, p.probNegative),
    tau,
    probUp: t.up,
    probDown: t.down,
    lfsrTau: 1 - Math.max(t.up, t.down),
    probEffect: t.up + t.down,
  };
}

/** Indices of `genes` (names or indices) among the posterior's coordinates; errors name unknown genes. */
export function geneIndices(
  post: DeltaPosterior,
  genes: readonly (string | number)[],
  what = "gene set",
): Int32Array {
  const pos = new Map(post.names.map((g, i) => [g, i]));
  const out = new Set<number>();
  for (const g of genes) {
    const i = typeof g === "number" ? g : pos.get(g);
    if (i === undefined || !Number.isInteger(i) || i < 0 || i >= post.names.length)
      throw new Error(`${what}: unknown gene ${JSON.stringify(g)}`);
    out.add(i);
  }
  return Int32Array.from(out);
}

/** A linear contrast c·Δ (one weight per coordinate, or weights by gene name; missing genes weigh 0). */
export function testContrast(
  post: DeltaPosterior,
  weights: Float64Array | Readonly<Record<string, number>>,
  tau = 0,
): ContrastResult {
  let c: Float64Array;
  if (weights instanceof Float64Array) c = weights;
  else {
    c = new Float64Array(post.names.length);
    const idx = geneIndices(post, Object.keys(weights), "contrast");
    Object.values(weights).forEach((w, j) => {
      c[idx[j]!] = w;
    });
  }
  return summarizeScalar(post.contrast(c), tau);
}

/** The balance of a gene set against all other coordinates. */
export function testGeneSet(
  post: DeltaPosterior,
  genes: readonly (string | number)[],
  tau = 0,
): ContrastResult & { size: number } {
  const idx = geneIndices(post, genes);
  const inSet = new Array<boolean>(post.names.length).fill(false);
  for (const i of idx) inSet[i] = true;
  return { ...summarizeScalar(post.contrast(balanceVector(inSet)), tau), size: idx.length };
}

/** Options of {@link testPathwayPerturbation}. */
export interface PerturbationOptions {
  nPermutations?: number;
  seed?: number | Key;
}

function perturbationStat(z2: Float64Array, idx: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < idx.length; j++) s += z2[idx[j]!]!;
  return s / idx.length;
}

/** Whether a set's genes move more than random sets of the same size (see the module comment). */
export function testPathwayPerturbation(
  post: DeltaPosterior,
  genes: readonly (string | number)[],
  opts: PerturbationOptions = {},
): { statistic: number; pValue: number; size: number; nPermutations: number } {
  const idx = geneIndices(post, genes);
  const n = post.names.length;
  const nPerm = opts.nPermutations ?? 999;
  if (!Number.isInteger(nPerm) || nPerm < 1)
    throw new Error(`nPermutations must be a positive integer, got ${nPerm}`);
  const z2 = post.mean.map((m, g) => (m / Math.max(post.sd[g]!, 1e-30)) ** 2);
  const stat = perturbationStat(z2, idx);
  const seed = opts.seed ?? 42;
  const rng = new GammaStream(typeof seed === "number" ? makeKey(seed) : seed);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  const k = idx.length;
  let ge = 0;
  for (let p = 0; p < nPerm; p++) {
    // partial Fisher–Yates: the first k entries are a uniform random k-subset
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rng.uniform() * (n - i));
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    if (perturbationStat(z2, perm.subarray(0, k)) >= stat) ge++;
  }
  return { statistic: stat, pValue: (1 + ge) / (1 + nPerm), size: k, nPermutations: nPerm };
}

/** One row of {@link testMultipleGeneSets}. */
export interface GeneSetRow extends ContrastResult {
  readonly name: string;
  readonly size: number;
  /** Perturbation test p-value and its BH adjustment over the sets. */
  readonly pValue: number;
  readonly pAdjusted: number;
}

/** Balance and perturbation tests for several named sets, with BH-adjusted perturbation p-values. */
export function testMultipleGeneSets(
  post: DeltaPosterior,
  sets: Readonly<Record<string, readonly (string | number)[]>>,
  opts: PerturbationOptions & { tau?: number } = {},
): GeneSetRow[] {
  const seed = opts.seed ?? 42;
  const base = typeof seed === "number" ? makeKey(seed) : seed;
  const rows = Object.entries(sets).map(([name, genes], i) => {
    const bal = testGeneSet(post, genes, opts.tau ?? 0);
    const pert = testPathwayPerturbation(post, genes, {
      nPermutations: opts.nPermutations ?? 999,
      seed: foldIn(base, i + 1),
    });
    return { ...bal, name, size: bal.size, pValue: pert.pValue };
  });
  const adj = adjustBH(rows.map((r) => r.pValue));
  return rows.map((r, i) => ({ ...r, pAdjusted: adj[i]! }));
}
