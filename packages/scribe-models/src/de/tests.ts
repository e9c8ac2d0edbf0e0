/**
 * `nbTest`: quasi-likelihood F-test and likelihood-ratio test of a contrast on an
 * {@link NbFit} (glmGamPoi test_de), with log2 fold changes and BH-adjusted p-values.
 * @module
 */

import { withTableDisplay } from "../plots/display.js";
import { adjustBH } from "./bh.js";
import type { Design } from "./design.js";
import { checkDesign } from "./design.js";
import { deviances, fitBeta, type NbFit } from "./fit.js";
import { matmul, orthogonalComplement } from "./linalg.js";
import { chiSquareUpper, fUpper } from "./stat-dist.js";

/**
 * A contrast: a coefficient name (`"conditionB"`), a linear expression of names
 * (`"conditionC - conditionB"`, `"0.5*a + 0.5*b"`), a numeric vector over the
 * coefficients, or a level comparison of a factor (`{ factor, levels: [numerator,
 * denominator] }`).
 */
export type Contrast = string | ArrayLike<number> | { factor: string; levels: [string, string] };

/** Options of {@link nbTest}. */
export interface NbTestOptions {
  /** What to test (= 0). */
  contrast: Contrast;
  /** `"ql"` (quasi-likelihood F, default when the fit has shrinkage) or `"lrt"` (χ²). */
  method?: "ql" | "lrt";
  /** Clamp |log2FC| at this value (default 10, as glmGamPoi). */
  maxLfc?: number;
}

/** A DE results table, one entry per gene in the fit's order (column arrays). */
export interface DeTable {
  /** Gene names. */
  gene: string[];
  /** log2 fold change cᵀβ/ln 2, clamped to ±maxLfc. */
  log2FC: Float64Array;
  /** F statistic (QL) or likelihood-ratio statistic (LRT). */
  statistic: Float64Array;
  /** p-values. */
  pval: Float64Array;
  /** Benjamini–Hochberg adjusted p-values over all genes. */
  padj: Float64Array;
  /** Gene-wise overdispersion θ̂ (Cox–Reid MLE). */
  dispersion: Float64Array;
  /** Numerator degrees of freedom. */
  df1: number;
  /** Denominator degrees of freedom (Infinity for the LRT). */
  df2: number;
  /** The test used: QL F, likelihood ratio, or the MoM Wald t. */
  method: "ql" | "lrt" | "wald";
}

/** Resolve a {@link Contrast} to a vector over the design's coefficients. */
export function contrastVector(design: Design, contrast: Contrast): Float64Array {
  const p = design.nCoef;
  const cols = design.columns;
  if (typeof contrast === "string") {
    const c = new Float64Array(p);
    const expr = contrast.replace(/\s+/g, "");
    const re = /([+-]?)(?:(\d*\.?\d+(?:e[+-]?\d+)?)\*)?([^+\-*]+)/gy;
    let consumed = 0;
    while (consumed < expr.length) {
      const m = re.exec(expr);
      if (m === null) break;
      const sign = m[1] === "-" ? -1 : 1;
      const k = m[2] ? Number(m[2]) : 1;
      const j = cols.indexOf(m[3]!);
      if (j < 0) throw new Error(`contrast: '${m[3]}' is not a coefficient (have: ${cols.join(", ")})`);
      c[j] = c[j]! + sign * k;
      consumed = re.lastIndex;
    }
    if (consumed !== expr.length) throw new Error(`contrast: cannot parse '${contrast}'`);
    return c;
  }
  if ("factor" in contrast) {
    const levels = design.factors[contrast.factor];
    if (!levels)
      throw new Error(
        `contrast: '${contrast.factor}' is not a factor of the design (factors: ${Object.keys(design.factors).join(", ")})`,
      );
    const c = new Float64Array(p);
    contrast.levels.forEach((l, k) => {
      if (!levels.includes(l))
        throw new Error(
          `contrast: '${l}' is not a level of '${contrast.factor}' (levels: ${levels.join(", ")})`,
        );
      const j = cols.indexOf(`${contrast.factor}${l}`);
      if (j >= 0) c[j] = c[j]! + (k === 0 ? 1 : -1);
    });
    return c;
  }
  if (contrast.length !== p)
    throw new Error(
      `contrast: vector of length ${contrast.length}, design has ${p} coefficients (${cols.join(", ")})`,
    );
  return Float64Array.from(contrast);
}

/**
 * Test a contrast c (H0: cᵀβ = 0). The reduced design is X·Q₋₁ (Q₋₁ an orthonormal
 * complement of c), fitted with the same offsets and dispersions (θ̃), no
 * re-estimation. LR = D_reduced − D_full. QL: F = LR/df1/s²_post with
 * p = P(F_{1, d0+n−p} > F); LRT: p = P(χ²₁ > LR). BH over all genes.
 * @example
 * ```ts
 * const t = nbTest(fit, { contrast: "conditionB" });
 * t.padj.filter((q) => q < 0.05).length;
 * ```
 */
export function nbTest(fit: NbFit, opts: NbTestOptions): DeTable {
  const { design, counts } = fit;
  const { data: y, nGenes: G, nSamples: n } = counts;
  const p = design.nCoef;
  const c = contrastVector(design, opts.contrast);
  if (c.every((v) => v === 0)) throw new Error("contrast: all coefficients are zero");
  const method = opts.method ?? (fit.ql ? "ql" : "lrt");
  if (method === "ql" && !fit.ql)
    throw new Error("nbTest: the QL test needs a fit with shrinkage (nbFit option shrinkage: true)");
  const theta = fit.fitDispersions;
  let devRed: Float64Array;
  if (p === 1) {
    const mu0 = new Float64Array(G * n);
    for (let g = 0; g < G; g++) for (let i = 0; i < n; i++) mu0[g * n + i] = fit.sizeFactors[i]!;
    devRed = deviances(y, G, n, mu0, theta);
  } else {
    const Q = orthogonalComplement(c);
    const Xr = matmul(design.matrix, Q, n, p, p - 1);
    // Snap tiny rounding noise so identical design rows stay identical.
    for (let k = 0; k < Xr.length; k++) if (Math.abs(Xr[k]!) < 1e-14) Xr[k] = 0;
    const reduced: Design = checkDesign({
      matrix: Xr,
      nSamples: n,
      nCoef: p - 1,
      columns: Array.from({ length: p - 1 }, (_, j) => `reduced${j}`),
      factors: {},
    });
    const rf = fitBeta(y, G, n, reduced, fit.sizeFactors, fit.offsets, theta);
    devRed = deviances(y, G, n, rf.mu, theta);
  }
  const maxLfc = opts.maxLfc ?? 10;
  const log2FC = new Float64Array(G);
  const statistic = new Float64Array(G);
  const pval = new Float64Array(G);
  const df2 = method === "ql" ? fit.ql!.dfTotal : Number.POSITIVE_INFINITY;
  for (let g = 0; g < G; g++) {
    let lfc = 0;
    for (let j = 0; j < p; j++) lfc += c[j]! * fit.beta[g * p + j]!;
    lfc /= Math.LN2;
    log2FC[g] = Number.isNaN(lfc) ? lfc : Math.min(Math.max(lfc, -maxLfc), maxLfc);
    const lr = devRed[g]! - fit.deviance[g]!;
    if (method === "ql") {
      const f = lr / fit.ql!.s2Post[g]!;
      statistic[g] = f;
      pval[g] = fUpper(f, 1, df2);
    } else {
      statistic[g] = lr;
      pval[g] = chiSquareUpper(lr, 1);
    }
  }
  return withTableDisplay({
    gene: fit.genes,
    log2FC,
    statistic,
    pval,
    padj: adjustBH(pval),
    dispersion: fit.overdispersions,
    df1: 1,
    df2,
    method,
  });
}

/** Row view of a {@link DeTable}, sorted by p-value (NaN last). */
export function deTableRows(t: DeTable): {
  gene: string;
  log2FC: number;
  statistic: number;
  pval: number;
  padj: number;
  dispersion: number;
}[] {
  const idx = t.gene.map((_, i) => i);
  const key = (i: number) => (Number.isNaN(t.pval[i]!) ? 2 : t.pval[i]!);
  idx.sort((a, b) => key(a) - key(b) || t.statistic[b]! - t.statistic[a]!);
  return idx.map((i) => ({
    gene: t.gene[i]!,
    log2FC: t.log2FC[i]!,
    statistic: t.statistic[i]!,
    pval: t.pval[i]!,
    padj: t.padj[i]!,
    dispersion: t.dispersion[i]!,
  }));
}
