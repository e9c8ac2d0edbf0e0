/**
 * Mixture post-processing (spec §4.2): cell-type probabilities (softmax over components of
 * the per-cell split log-likelihoods including log π_k), hard assignments, and the empirical
 * mixing weights (posterior mean of π given soft counts from mixing-free responsibilities).
 * @module
 */
import { argmax, exp, fromTypedArray, full, logsumexp, type Tensor } from "@scribe/core";
import type { ModelConfig } from "../models/config.js";
import { drawAt, drawLogLikelihood } from "./log-likelihood.js";

/** Per-cell component probabilities [C, K] for one parameter draw. */
export function cellTypeProbabilitiesDraw(cfg: ModelConfig, counts: Tensor, draw: Readonly<Record<string, Tensor>>, temperature = 1): Tensor {
  if (cfg.nComponents < 2) throw new Error("cell-type probabilities need a mixture model");
  const lp = drawLogLikelihood(cfg, counts, draw, { returnBy: "cell", splitComponents: true }).div(temperature);
  return exp(lp.sub(logsumexp(lp, -1, true)));
}

/** Average of the per-draw cell-type probabilities over posterior draws [S, …]: [C, K]. */
export function cellTypeProbabilitiesSamples(cfg: ModelConfig, counts: Tensor, samples: Readonly<Record<string, Tensor>>, temperature = 1): Tensor {
  const S = samples.p!.shape[0]!;
  let acc: Tensor | null = null;
  for (let s = 0; s < S; s++) {
    const pr = cellTypeProbabilitiesDraw(cfg, counts, drawAt(samples, s), temperature);
    acc = acc ? acc.add(pr) : pr;
  }
  return acc!.div(S);
}

/** Hard assignments (argmax over components) from probabilities [C, K]: int32 [C]. */
export function hardAssignments(probs: Tensor): Tensor {
  return argmax(probs, -1);
}

/**
 * Empirical mixing weights: responsibilities computed without the mixing weights (uniform π),
 * summed per component, added to the Dirichlet prior α₀ and normalized (the posterior mean of
 * π | U, θ). Returns the weights [K] and the Dirichlet concentrations [K].
 */
export function empiricalMixingWeights(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
): { weights: Tensor; concentrations: Tensor } {
  const K = cfg.nComponents;
  const uniform = { ...draw, mixing_weights: full([K], 1 / K) };
  const resp = cellTypeProbabilitiesDraw(cfg, counts, uniform);
  const alpha = resp.sum(0).add(fromTypedArray(Float32Array.from(cfg.priors.mixing), [K]));
  return { weights: alpha.div(alpha.sum()), concentrations: alpha };
}

