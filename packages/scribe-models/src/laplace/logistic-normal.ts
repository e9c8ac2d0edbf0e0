/**
 * An LNM Laplace fit as the low-rank logistic-normal that Bayesian DE's parametric method
 * consumes (`de/bayesian/logistic-normal.ts`; SCRIBE `scribe.de`, parametric method):
 * ALR coordinates against the last gene, genes in their original order.
 *
 * The engine's ALR coordinates are against its own reference r (chosen per data set), so two
 * fits would not share coordinates. Changing the reference is linear and exact: with ỹ the
 * coordinates padded with ỹ_r = 0, y'_g = ỹ_g − ỹ_L (L the last gene), so
 * μ' = μ̃ − μ̃_L, W' = W̃ − W̃_L, and diag(d̃) becomes diag(d̃_{≠L}) + d̃_L 1 1ᵀ: one more factor
 * column √d̃_L (none when r = L). The CLR moments, which the parametric method uses, do not
 * depend on the reference at all.
 * @module
 */
import type { LogisticNormalFit } from "../de/bayesian/logistic-normal.js";
import type { LaplaceResults } from "./laplace-results.js";

/** Options of {@link laplaceLogisticNormal}. */
export interface LaplaceLogisticNormalOptions {
  /**
   * What the covariance describes. "mean" (default): the uncertainty of the population ALR
   * mean μ̂, Σ/C: the large-count asymptotic covariance of the maximum-likelihood μ̂ over C
   * cells (with few counts per cell the per-cell posterior spread adds to it, so this is then
   * a lower bound). "cells": Σ itself, the spread of single cells' compositions.
   */
  spread?: "mean" | "cells";
}

/**
 * The logistic-normal of an LNM / LNMVCP Laplace fit, ready for `compare()`.
 * @example
 * // fragment: countsA, countsB are two groups' count tensors
 * const a = laplaceLogisticNormal((await fit(countsA, { model: "lnm", inferenceMethod: "laplace" })).results);
 * const b = laplaceLogisticNormal((await fit(countsB, { model: "lnm", inferenceMethod: "laplace" })).results);
 * const de = await compare(a, b); // parametric, CLR coordinates
 */
export function laplaceLogisticNormal(
  res: LaplaceResults,
  opts: LaplaceLogisticNormalOptions = {},
): LogisticNormalFit {
  if (res.model !== "lnm" && res.model !== "lnmvcp")
    throw new Error(
      `laplaceLogisticNormal: needs an lnm or lnmvcp fit, got model ${JSON.stringify(res.model)}`,
    );
  const spread = opts.spread ?? "mean";
  if (spread !== "mean" && spread !== "cells")
    throw new Error(`laplaceLogisticNormal: spread must be "mean" or "cells", got ${JSON.stringify(spread)}`);
  const G = res.nGenes;
  const k = res.rank;
  const L = G - 1;
  const r = res.alrReference;
  // padded ALR-r moments over all G genes (zero at the reference)
  const mu = new Float64Array(G);
  const W = new Float64Array(G * k);
  const d = new Float64Array(G);
  res.latentGenes.forEach((g, i) => {
    mu[g] = res.mu[i]!;
    d[g] = res.d[i]!;
    for (let a = 0; a < k; a++) W[g * k + a] = res.W[i * k + a]!;
  });
  const extra = r === L ? 0 : 1;
  const rank = k + extra;
  const scale = spread === "mean" ? 1 / res.nCells : 1;
  const sd = Math.sqrt(scale);
  const muOut = new Float64Array(L);
  const WOut = new Float64Array(L * rank);
  const dOut = new Float64Array(L);
  for (let g = 0; g < L; g++) {
    muOut[g] = mu[g]! - mu[L]!;
    for (let a = 0; a < k; a++) WOut[g * rank + a] = (W[g * k + a]! - W[L * k + a]!) * sd;
    if (extra) WOut[g * rank + k] = Math.sqrt(d[L]!) * sd;
    dOut[g] = d[g]! * scale;
  }
  const genes = res.varNames ?? Array.from({ length: G }, (_, g) => `gene_${g}`);
  return {
    kind: "logistic-normal",
    genes,
    hasOther: false,
    nParts: G,
    rank,
    mu: muOut,
    W: WOut,
    d: dOut,
    nSamples: res.nCells,
  };
}
