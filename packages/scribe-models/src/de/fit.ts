/**
 * `nbFit`: the glmGamPoi-style NB-GLM pipeline (docs/SOURCES.md): size factors,
 * moments start, coefficient fit, Cox–Reid overdispersion MLE, mean–dispersion
 * trend, QL shrinkage and the final fit with the trended dispersion.
 * @module
 */
import { type CountMatrix, geneNames, validateCounts } from "./counts.js";
import {
  buildDesign,
  checkDesign,
  type Design,
  type DesignSpec,
  designFromConditions,
  designGroups,
  type SampleData,
} from "./design.js";
import { geneDeviance } from "./deviance.js";
import { fitFDistMoments } from "./fit-fdist.js";
import { groupFit } from "./group-fit.js";
import { irlsFit } from "./irls.js";
import { momentsOverdispersion, overdispersionMleAll } from "./overdispersion.js";
import { type QlShrinkage, qlDispersions, qlShrinkage } from "./ql-shrinkage.js";
import { estimateSizeFactors, type SizeFactorMethod } from "./size-factors.js";
import { locMedianFit } from "./trend.js";

/** Options of {@link nbFit}. Give `design` (+ `colData` for a formula) or `conditions`. */
export interface NbFitOptions {
  /** A built {@link Design}, a {@link DesignSpec}, or a formula string over `colData`. */
  design?: Design | DesignSpec | string;
  /** Per-sample variables for a formula `design`. */
  colData?: SampleData;
  /** Reference levels for a formula design (factor name → level). */
  references?: Record<string, string>;
  /** One label per sample: shorthand for `design: "~ condition"`. */
  conditions?: readonly string[];
  /** Reference level of `conditions` (default: first in sorted order). */
  reference?: string;
  /** Size factors: a method (default `"normed_sum"`) or one positive value per sample. */
  sizeFactors?: SizeFactorMethod | ArrayLike<number>;
  /** Estimate NB overdispersion (default true); false fits a Poisson GLM. */
  overdispersion?: boolean;
  /** Trend + QL empirical-Bayes shrinkage (default true). */
  shrinkage?: boolean;
  /** QL prior fit: `"ml"` (glmGamPoi, default) or `"moments"` (limma fitFDist). */
  qlMethod?: "ml" | "moments";
  /** Use the per-group fast path when the design allows it (default true); false forces IRLS. */
  groupPath?: boolean;
  /** Accept non-integer counts (default false). */
  allowNonInteger?: boolean;
}

/** A fitted NB-GLM, reusable across contrasts by {@link nbTest}. */
export interface NbFit {
  /** The data (genes × samples). */
  counts: CountMatrix;
  /** Gene names. */
  genes: string[];
  /** The design. */
  design: Design;
  /** Size factors (geometric mean 1 unless given). */
  sizeFactors: Float64Array;
  /** Offsets log s. */
  offsets: Float64Array;
  /** Final coefficients (natural log scale), genes × p. */
  beta: Float64Array;
  /** Final fitted means, genes × samples. */
  mu: Float64Array;
  /** Final deviances (with {@link NbFit.fitDispersions}). */
  deviance: Float64Array;
  /** Gene-wise Cox–Reid MLE overdispersions θ̂. */
  overdispersions: Float64Array;
  /** Trended overdispersions θ̃ (NaN when shrinkage is off). */
  trendDispersions: Float64Array;
  /** The θ used by the final fit and the tests (θ̃ with shrinkage, else θ̂). */
  fitDispersions: Float64Array;
  /** Gene means m̄ of the first fit's μ (trend abscissa). */
  meanMu: Float64Array;
  /** QL shrinkage results (null when shrinkage is off). */
  ql: QlShrinkage | null;
  /** Whether the per-group fast path was used. */
  groupPath: boolean;
}

function resolveDesign(opts: NbFitOptions, n: number): Design {
  let d: Design;
  if (opts.design !== undefined) {
    if (typeof opts.design === "string") {
      if (!opts.colData)
        throw new Error(`nbFit: formula design '${opts.design}' needs colData (per-sample variables)`);
      d = buildDesign({ formula: opts.design, data: opts.colData, reference: opts.references });
    } else if ("formula" in opts.design) d = buildDesign(opts.design);
    else d = checkDesign(opts.design);
  } else if (opts.conditions) {
    d = designFromConditions(opts.conditions, opts.reference);
  } else {
    throw new Error(
      "nbFit: give either `design` (a Design, a formula with colData) or `conditions` (one label per sample)",
    );
  }
  if (d.nSamples !== n) throw new Error(`nbFit: design has ${d.nSamples} rows but counts have ${n} samples`);
  return d;
}

/** Fit coefficients with the per-group path when the design is a factor design. */
export function fitBeta(
  y: Float64Array,
  G: number,
  n: number,
  design: Design,
  sizeFactors: Float64Array,
  offsets: Float64Array,
  theta: Float64Array,
  start?: Float64Array,
  allowGroupPath = true,
): { beta: Float64Array; mu: Float64Array; groupPath: boolean } {
  const p = design.nCoef;
  const grp = designGroups(design);
  if (allowGroupPath && grp.nGroups === p) {
    const Xu = new Float64Array(p * p);
    for (let k = 0; k < p; k++) {
      const row = grp.firstRows[k]!;
      Xu.set(design.matrix.subarray(row * p, (row + 1) * p), k * p);
    }
    return { ...groupFit(y, G, n, grp.groups, Xu, p, sizeFactors, theta), groupPath: true };
  }
  const r = irlsFit(y, G, n, design.matrix, p, offsets, theta, start);
  return { beta: r.beta, mu: r.mu, groupPath: false };
}

/** Per-gene deviances of a fit. */
export function deviances(
  y: Float64Array,
  G: number,
  n: number,
  mu: Float64Array,
  theta: Float64Array,
): Float64Array {
  const out = new Float64Array(G);
  for (let g = 0; g < G; g++) out[g] = geneDeviance(y, mu.subarray(g * n, (g + 1) * n), g * n, n, theta[g]!);
  return out;
}

/**
 * The gene-wise stage of {@link nbFit}: what each gene needs before the cross-gene trend
 * (moments θ⁰ → β fit #1 → m̄ and the Cox–Reid θ̂). Each gene's values depend only on its
 * own counts, the design and the size factors, so gene ranges can be computed apart (the
 * shards of `scribe de --shards`) and concatenated.
 */
export interface NbGenewise {
  /** β of fit #1 (start of the final fit), genes × p row-major. */
  beta: Float64Array;
  /** Gene means m̄ of fit #1's μ (trend abscissa). */
  meanMu: Float64Array;
  /** Gene-wise Cox–Reid MLE overdispersions θ̂ (zeros without overdispersion). */
  overdispersions: Float64Array;
}

function genewiseStage(
  y: Float64Array,
  G: number,
  n: number,
  design: Design,
  sizeFactors: Float64Array,
  offsets: Float64Array,
  opts: NbFitOptions,
): NbGenewise {
  const p = design.nCoef;
  const useOd = opts.overdispersion ?? true;
  const theta0 = useOd ? momentsOverdispersion(y, G, n, sizeFactors) : new Float64Array(G);
  const fit1 = fitBeta(y, G, n, design, sizeFactors, offsets, theta0, undefined, opts.groupPath ?? true);
  const meanMu = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += fit1.mu[g * n + i]!;
    meanMu[g] = m / n;
  }
  const overdispersions = useOd
    ? overdispersionMleAll(y, G, n, fit1.mu, design.matrix, p)
    : new Float64Array(G);
  return { beta: fit1.beta, meanMu, overdispersions };
}

/**
 * {@link nbFit}'s gene-wise stage for genes `start` to `end − 1` of `counts` (size factors
 * and design from the whole matrix, as in {@link nbFit}); pass the concatenation of the
 * ranges to {@link nbFit} as `genewise` to get the unsplit fit exactly.
 * @example
 * ```ts
 * // fragment
 * const opts = { conditions: ["A", "A", "A", "B", "B", "B"], reference: "A" };
 * const a = nbFitGenewise(counts, opts, 0, 10);
 * const b = nbFitGenewise(counts, opts, 10, counts.nGenes);
 * ```
 */
export function nbFitGenewise(
  counts: CountMatrix,
  opts: NbFitOptions,
  start: number,
  end: number,
): NbGenewise {
  validateCounts(counts, opts.allowNonInteger ?? false);
  const { data: y, nGenes: G, nSamples: n } = counts;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > G || start >= end)
    throw new Error(`nbFitGenewise: gene range [${start}, ${end}) is not inside [0, ${G})`);
  const design = resolveDesign(opts, n);
  const sizeFactors = estimateSizeFactors(counts, opts.sizeFactors ?? "normed_sum");
  const offsets = Float64Array.from(sizeFactors, Math.log);
  return genewiseStage(y.subarray(start * n, end * n), end - start, n, design, sizeFactors, offsets, opts);
}

/** Refuse a precomputed gene-wise stage whose lengths do not match the data. */
function checkGenewise(gw: NbGenewise, G: number, p: number): void {
  const bad: string[] = [];
  if (gw.beta.length !== G * p) bad.push(`beta has ${gw.beta.length} values, expected ${G} × ${p}`);
  if (gw.meanMu.length !== G) bad.push(`meanMu has ${gw.meanMu.length} values, expected ${G}`);
  if (gw.overdispersions.length !== G)
    bad.push(`overdispersions has ${gw.overdispersions.length} values, expected ${G}`);
  if (bad.length)
    throw new Error(`nbFit: the given gene-wise stage does not match the data: ${bad.join("; ")}`);
}

/**
 * Fit a negative-binomial GLM per gene, glmGamPoi's way: moments θ⁰ → β fit #1 →
 * Cox–Reid θ̂ (μ fixed) → local-median trend θ̃ over m̄ = mean μ¹ → QL dispersions
 * (1 + m̄θ̂)/(1 + m̄θ̃) with a scaled-F empirical-Bayes prior → β fit #2 with θ̃.
 * `genewise`, when given, is the gene-wise stage computed beforehand (by
 * {@link nbFitGenewise} over gene ranges); the result is then the same as without it.
 * Throws, naming the problem, for bad counts, designs or size factors.
 * @example
 * ```ts
 * const fit = nbFit(counts, { conditions: ["A", "A", "A", "B", "B", "B"], reference: "A" });
 * const table = nbTest(fit, { contrast: "conditionB" });
 * ```
 */
export function nbFit(counts: CountMatrix, opts: NbFitOptions = {}, genewise?: NbGenewise): NbFit {
  validateCounts(counts, opts.allowNonInteger ?? false);
  const { data: y, nGenes: G, nSamples: n } = counts;
  const design = resolveDesign(opts, n);
  const p = design.nCoef;
  const sizeFactors = estimateSizeFactors(counts, opts.sizeFactors ?? "normed_sum");
  const offsets = Float64Array.from(sizeFactors, Math.log);
  const useOd = opts.overdispersion ?? true;
  const shrink = (opts.shrinkage ?? true) && useOd;
  if (genewise) checkGenewise(genewise, G, p);
  const gw = genewise ?? genewiseStage(y, G, n, design, sizeFactors, offsets, opts);
  const { meanMu, overdispersions: thetaHat } = gw;
  let trend: Float64Array = new Float64Array(G).fill(Number.NaN);
  let ql: QlShrinkage | null = null;
  let fitTheta = thetaHat;
  if (shrink) {
    trend = locMedianFit(meanMu, thetaHat);
    const s2 = qlDispersions(meanMu, thetaHat, trend);
    if (opts.qlMethod === "moments") {
      const prior = fitFDistMoments(s2, n - p);
      const d0 = prior.df2;
      const s0 = new Float64Array(G).fill(prior.scale);
      const s2Post = Float64Array.from(s2, (v) =>
        d0 === Number.POSITIVE_INFINITY ? prior.scale : (d0 * prior.scale + (n - p) * v) / (d0 + n - p),
      );
      ql = { s2, s0, d0, s2Post, df: n - p, dfTotal: d0 + n - p };
    } else {
      ql = qlShrinkage(s2, meanMu, n - p);
    }
    fitTheta = trend;
  }
  const fit2 = fitBeta(y, G, n, design, sizeFactors, offsets, fitTheta, gw.beta, opts.groupPath ?? true);
  const deviance = deviances(y, G, n, fit2.mu, fitTheta);
  return {
    counts,
    genes: geneNames(counts),
    design,
    sizeFactors,
    offsets,
    beta: fit2.beta,
    mu: fit2.mu,
    deviance,
    overdispersions: thetaHat,
    trendDispersions: trend,
    fitDispersions: fitTheta,
    meanMu,
    ql,
    groupPath: fit2.groupPath,
  };
}
