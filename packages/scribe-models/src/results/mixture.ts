/**
 * Mixture post-processing (SCRIBE results): cell-type probabilities (softmax over components of
 * the per-cell split log-likelihoods including log π_k), optionally summarized per cell by a
 * maximum-likelihood Dirichlet over the posterior draws (`fit_distribution=True`), hard
 * assignments, and the empirical mixing weights (posterior mean of π given soft counts from
 * mixing-free responsibilities).
 * @module
 */
import { argmax, exp, fromTypedArray, full, logsumexp, stack, type Tensor } from "@scribe/core";
import type { ModelConfig } from "../models/config.js";
import { type DirichletFitOptions, fitDirichletMinkaAsync } from "./dirichlet-fit.js";
import { drawAt, drawLogLikelihood, sampleCount } from "./log-likelihood.js";

/** Per-cell log component probabilities [C, K] (log-softmax, so no underflow) for one parameter draw. */
export function cellTypeLogProbabilitiesDraw(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  temperature = 1,
): Tensor {
  if (cfg.nComponents < 2) throw new Error("cell-type probabilities need a mixture model");
  if (!(temperature > 0))
    throw new Error(`cell-type probabilities: temperature must be positive, got ${temperature}`);
  const lp = drawLogLikelihood(cfg, counts, draw, { returnBy: "cell", splitComponents: true }).div(
    temperature,
  );
  return lp.sub(logsumexp(lp, -1, true));
}

/** Per-cell component probabilities [C, K] for one parameter draw. */
export function cellTypeProbabilitiesDraw(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  temperature = 1,
): Tensor {
  return exp(cellTypeLogProbabilitiesDraw(cfg, counts, draw, temperature));
}

/** Per-draw log component probabilities [S, C, K] for posterior draws [S, …]. */
export function cellTypeLogProbabilitySamples(
  cfg: ModelConfig,
  counts: Tensor,
  samples: Readonly<Record<string, Tensor>>,
  temperature = 1,
): Tensor {
  const S = sampleCount(samples);
  const rows: Tensor[] = [];
  for (let s = 0; s < S; s++)
    rows.push(cellTypeLogProbabilitiesDraw(cfg, counts, drawAt(samples, s), temperature));
  return stack(rows, 0);
}

/** Options of {@link cellTypeProbabilitiesDirichlet}: the Dirichlet fit's plus the temperature. */
export interface CellTypeDirichletOptions extends DirichletFitOptions {
  /** Divide the log-likelihoods by this before the softmax (default 1). */
  temperature?: number;
}

/** Cell-type probabilities with a Dirichlet fitted per cell to the posterior draws. */
export interface CellTypeDirichlet {
  /** Dirichlet concentrations per cell [C, K] (float64). */
  concentration: Tensor;
  /** The Dirichlet means α/α₀ [C, K] (float64). */
  meanProbabilities: Tensor;
  /** The per-draw probabilities [S, C, K]. */
  sampleProbabilities: Tensor;
  /** Iterations per cell, convergence and degenerate flags, final likelihood-equation residuals. */
  iterations: Int32Array;
  converged: boolean[];
  degenerate: boolean[];
  residual: Float64Array;
}

/**
 * Cell-type probabilities per posterior draw [S, C, K] and, per cell, a maximum-likelihood
 * Dirichlet fitted to its S probability vectors (Minka; see `dirichlet-fit.ts`, whose options
 * — tolerance, iterations, clamping ε, degenerate cells — pass through). With
 * `logSpace: true` the fit uses the per-draw log-softmax directly (no clamping).
 *
 * Asynchronous on every backend: the per-draw probabilities are read once with `await` (the
 * fit iterates on the host in float64), so it runs on WebGPU as on the cpu (issue 12).
 * @example
 * const fit = await cellTypeProbabilitiesDirichlet(cfg, counts, samples); // samples [S, …]
 * fit.meanProbabilities; // [C, K]
 */
export async function cellTypeProbabilitiesDirichlet(
  cfg: ModelConfig,
  counts: Tensor,
  samples: Readonly<Record<string, Tensor>>,
  opts: CellTypeDirichletOptions = {},
): Promise<CellTypeDirichlet> {
  const { temperature, ...fitOpts } = opts;
  const logProbs = cellTypeLogProbabilitySamples(cfg, counts, samples, temperature ?? 1);
  const probs = exp(logProbs);
  const fit = await fitDirichletMinkaAsync(fitOpts.logSpace ? logProbs : probs, fitOpts);
  return {
    concentration: fit.concentration,
    meanProbabilities: fit.mean,
    sampleProbabilities: probs,
    iterations: fit.iterations,
    converged: fit.converged,
    degenerate: fit.degenerate,
    residual: fit.residual,
  };
}

/** Average of the per-draw cell-type probabilities over posterior draws [S, …]: [C, K]. */
export function cellTypeProbabilitiesSamples(
  cfg: ModelConfig,
  counts: Tensor,
  samples: Readonly<Record<string, Tensor>>,
  temperature = 1,
): Tensor {
  const S = sampleCount(samples);
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
