/**
 * The results of a fit (SCRIBE results): fitted variational parameters, the loss history and the
 * configuration, with methods for posterior samples, MAP estimates, predictive and
 * biological predictive samples, denoised counts, log-likelihoods, mixture assignments,
 * slicing by genes and components, and save/load.
 * @module
 */
import { type Key, loadNodeOnly, key as makeKey, splitKey, type Tensor } from "@scribe/core";
import type { AnnData } from "../io/anndata.js";
import type { LogLikelihoodOptions } from "../likelihood/nb-family.js";
import { type ModelConfig, type ModelOptions, type ModelType, makeConfig } from "../models/config.js";
import { resultsBundle } from "../plots/display.js";
import {
  type DenoiseOptions,
  type DenoisePosteriorOptions,
  type DenoisePosteriorResult,
  denoiseCounts,
  denoiseCountsSamples,
} from "./denoise.js";
import {
  denoisedAnnData,
  entropy,
  guideQuantiles,
  type NormalizedExpression,
  type NormalizeOptions,
  normalizeCountsSamples,
  priorPredictiveSamples,
  sampleQuantiles,
} from "./extras.js";
import { drawLogLikelihood, samplesLogLikelihood } from "./log-likelihood.js";
import { type MapOptions, mapEstimates } from "./map.js";
import { mcmcPointEstimate } from "./mcmc-map.js";
import {
  type CellTypeDirichlet,
  type CellTypeDirichletOptions,
  cellTypeProbabilitiesDirichlet,
  cellTypeProbabilitiesDraw,
  cellTypeProbabilitiesSamples,
  empiricalMixingWeights,
  hardAssignments,
} from "./mixture.js";
import { type PosteriorSampleOptions, posteriorSamples } from "./posterior.js";
import { predictiveSamples } from "./predictive.js";
import {
  decodeRecord,
  decodeTensor,
  type EncodedTensor,
  encodeRecord,
  encodeRecordAsync,
} from "./serialize.js";
import { sliceComponent, sliceDataset, sliceGenes } from "./slice.js";

/** Everything needed to rebuild results. */
export interface ScribeResultsInit {
  modelType: ModelType;
  /** The model options the configuration was built from (tensors included). */
  options: ModelOptions;
  /** Fitted (constrained) variational parameters. */
  params: Record<string, Tensor>;
  /** Loss (−ELBO) per step. */
  lossHistory: Float64Array;
  /** Gene names (default "0"…). */
  varNames?: string[];
  /** Cell names (default "0"…). */
  obsNames?: string[];
  /** Inference method that produced the params. */
  inferenceMethod?: "svi" | "mcmc";
  /** MCMC draws, when inference was MCMC. */
  mcmcSamples?: Record<string, Tensor>;
  /** Potential energy of each MCMC draw (in the draws' order), for the MCMC MAP. */
  mcmcPotentialEnergy?: Float64Array;
  /**
   * The counts [C, G] the fit saw, for an amortized capture guide (its draws and MAP are
   * functions of each cell's counts): the default of every `counts` option. Kept in memory
   * only, never saved; see {@link ScribeResults.withCounts}.
   */
  counts?: Tensor;
  /** Free-form metadata (fit settings). */
  meta?: Record<string, unknown>;
}

/** Results of `fit()`. */
export class ScribeResults {
  readonly modelType: ModelType;
  readonly options: ModelOptions;
  readonly config: ModelConfig;
  readonly params: Record<string, Tensor>;
  readonly lossHistory: Float64Array;
  readonly varNames: string[];
  readonly obsNames: string[];
  readonly inferenceMethod: "svi" | "mcmc";
  readonly mcmcSamples: Record<string, Tensor> | null;
  /** Potential energy of each MCMC draw (host values), or null. */
  readonly mcmcPotentialEnergy: Float64Array | null;
  /** The counts an amortized capture guide reads by default (see {@link ScribeResultsInit.counts}), or null. */
  readonly counts: Tensor | null;
  readonly meta: Record<string, unknown>;
  private cachedMap: Record<string, Tensor> | null = null;
  /** The counts the cached MAP was computed with (amortized capture guides only). */
  private cachedMapCounts: Tensor | null = null;

  constructor(init: ScribeResultsInit) {
    this.modelType = init.modelType;
    this.options = init.options;
    this.config = makeConfig(init.modelType, init.options);
    this.params = init.params;
    this.lossHistory = init.lossHistory;
    this.varNames = init.varNames ?? Array.from({ length: this.config.nGenes }, (_, i) => String(i));
    this.obsNames = init.obsNames ?? Array.from({ length: this.config.nCells }, (_, i) => String(i));
    this.inferenceMethod = init.inferenceMethod ?? "svi";
    this.mcmcSamples = init.mcmcSamples ?? null;
    this.mcmcPotentialEnergy = init.mcmcPotentialEnergy ?? null;
    this.counts = init.counts ?? null;
    this.meta = init.meta ?? {};
  }

  /** Number of cells. */
  get nCells(): number {
    return this.config.nCells;
  }
  /** Number of genes. */
  get nGenes(): number {
    return this.config.nGenes;
  }
  /** Number of mixture components (1 without a mixture). */
  get nComponents(): number {
    return this.config.nComponents;
  }

  /**
   * These results with `counts` [C, G] (the matrix the fit saw) as the default counts of an
   * amortized capture guide, e.g. after {@link ScribeResults.load}; the same tensors otherwise.
   */
  withCounts(counts: Tensor): ScribeResults {
    if (counts.rank !== 2 || counts.shape[0] !== this.nCells || counts.shape[1] !== this.nGenes)
      throw new Error(
        `withCounts: counts have shape [${counts.shape}], the fit has ${this.nCells} cells × ${this.nGenes} genes`,
      );
    return new ScribeResults({ ...this.init(), counts });
  }

  /** What {@link withCounts} rebuilds from. */
  private init(): ScribeResultsInit {
    return {
      modelType: this.modelType,
      options: this.options,
      params: this.params,
      lossHistory: this.lossHistory,
      varNames: this.varNames,
      obsNames: this.obsNames,
      inferenceMethod: this.inferenceMethod,
      ...(this.mcmcSamples ? { mcmcSamples: this.mcmcSamples } : {}),
      ...(this.mcmcPotentialEnergy ? { mcmcPotentialEnergy: this.mcmcPotentialEnergy } : {}),
      ...(this.counts ? { counts: this.counts } : {}),
      meta: this.meta,
    };
  }

  /** Posterior samples [S, …] of all latent and derived parameters (MCMC: the stored draws). */
  getPosteriorSamples(opts: PosteriorSampleOptions = {}): Record<string, Tensor> {
    if (this.mcmcSamples) return this.mcmcSamples;
    return posteriorSamples(this.config, this.params, { ...opts, counts: opts.counts ?? this.counts });
  }

  /**
   * MAP estimates of all latent and derived parameters (cached for the default options). MCMC
   * results give the draw with the lowest potential energy (`mcmcEstimate: "mean"`: the
   * posterior mean; see results/mcmc-map.ts). An amortized capture guide needs `counts`
   * (the matrix it was fitted to); the methods below that take counts pass them on.
   */
  getMap(opts: MapOptions = {}): Record<string, Tensor> {
    const amortized = this.config.amortizeCapture && !this.mcmcSamples;
    const counts = amortized ? (opts.counts ?? this.counts) : null;
    const dflt =
      opts.useMean === undefined && opts.mapMethod === undefined && opts.mcmcEstimate === undefined;
    if (dflt && this.cachedMap && this.cachedMapCounts === counts) return this.cachedMap;
    const m = this.mcmcSamples
      ? mcmcPointEstimate(this.mcmcSamples, this.mcmcPotentialEnergy, opts.mcmcEstimate)
      : mapEstimates(this.config, this.params, { ...opts, counts });
    if (dflt) {
      this.cachedMap = m;
      this.cachedMapCounts = counts;
    }
    return m;
  }

  /** Posterior predictive count samples [S, C, G]. */
  getPpcSamples(opts: PosteriorSampleOptions = {}): Tensor {
    return predictiveSamples(this.config, this.getPosteriorSamples(opts), {
      seed: opts.seed as number | Key | undefined,
    });
  }

  /** Biological predictive samples [S, C, G]: NB(r, p) only, capture and gate stripped. */
  getPpcSamplesBiological(opts: PosteriorSampleOptions = {}): Tensor {
    return predictiveSamples(this.config, this.getPosteriorSamples(opts), {
      seed: opts.seed as number | Key | undefined,
      biological: true,
    });
  }

  /** Predictive samples [S, C, G] at the MAP (`counts`: for an amortized capture guide). */
  getMapPpcSamples(
    opts: { nSamples?: number; seed?: number; biological?: boolean; counts?: Tensor | null } = {},
  ): Tensor {
    const map = this.getMap({ counts: opts.counts ?? null });
    const S = opts.nSamples ?? 1;
    const rep: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(map)) rep[k] = v.unsqueeze(0).expand([S, ...v.shape]);
    return predictiveSamples(this.config, rep, { seed: opts.seed, biological: opts.biological ?? false });
  }

  /** Denoised counts at the MAP ([C, G]). Mixtures use the MAP hard assignments. */
  denoiseCountsMap(counts: Tensor, opts: DenoiseOptions = {}): Tensor {
    const map = this.getMap({ counts });
    const assignments = this.nComponents > 1 ? (opts.assignments ?? this.cellAssignments(counts)) : undefined;
    return denoiseCounts(this.config, counts, map, { ...opts, ...(assignments ? { assignments } : {}) });
  }

  /**
   * Denoised counts per posterior draw (SCRIBE results `denoise_counts_posterior`): the formulas of
   * `denoiseCountsMap` applied to each of `nSamples` posterior draws (MCMC: the stored draws),
   * stacked [S, C, G], with their mean over draws [C, G] and optionally the per-draw
   * variances. Mixtures marginalize over each draw's responsibilities by default (see
   * `DenoiseOptions.mixture`); a fixed `assignments` [C] applies to every draw.
   * @example
   * const { denoised, mean } = results.denoiseCountsPosterior(counts, { method: "mean", nSamples: 50 });
   */
  denoiseCountsPosterior(
    counts: Tensor,
    opts: DenoisePosteriorOptions & Omit<PosteriorSampleOptions, "counts"> = {},
  ): DenoisePosteriorResult {
    const { nSamples, batchSize, seed, ...rest } = opts;
    // one seed: split into the posterior draws' key and the denoising keys
    const [kPost, kDenoise] = splitKey(typeof seed === "object" ? seed : makeKey(seed ?? 42), 2) as [
      Key,
      Key,
    ];
    const samples = this.getPosteriorSamples({
      ...(nSamples !== undefined ? { nSamples } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      seed: kPost,
      counts,
    });
    return denoiseCountsSamples(this.config, counts, samples, { ...rest, seed: kDenoise });
  }

  /** Log-likelihood per posterior draw: [S, C] (returnBy "cell") or [S, G]. */
  logLikelihood(counts: Tensor, opts: LogLikelihoodOptions & PosteriorSampleOptions = {}): Tensor {
    return samplesLogLikelihood(this.config, counts, this.getPosteriorSamples({ ...opts, counts }), opts);
  }

  /** Log-likelihood at the MAP: [C] or [G]. */
  logLikelihoodMap(counts: Tensor, opts: LogLikelihoodOptions = {}): Tensor {
    return drawLogLikelihood(this.config, counts, this.getMap({ counts }), opts);
  }

  /** Cell-type probabilities [C, K] at the MAP. */
  cellTypeProbabilitiesMap(counts: Tensor, temperature = 1): Tensor {
    return cellTypeProbabilitiesDraw(this.config, counts, this.getMap({ counts }), temperature);
  }

  /**
   * Cell-type probabilities from posterior draws. By default their average over draws [C, K];
   * with `fitDistribution: true` (SCRIBE results `fit_distribution=True`), the per-draw
   * probabilities [S, C, K] and, per cell, a maximum-likelihood Dirichlet fitted to them
   * (concentrations and Dirichlet means [C, K]; see `fitDirichletMinka` for the tolerance,
   * iteration, clamping and degenerate-cell options), as a promise: the fit reads the draws
   * with the one `await`, so it works on every backend.
   * @example
   * const { concentration, meanProbabilities } = await results.cellTypeProbabilities(counts, { fitDistribution: true, nSamples: 200 });
   */
  cellTypeProbabilities(
    counts: Tensor,
    opts: PosteriorSampleOptions & CellTypeDirichletOptions & { fitDistribution: true },
  ): Promise<CellTypeDirichlet>;
  cellTypeProbabilities(
    counts: Tensor,
    opts?: PosteriorSampleOptions & { temperature?: number; fitDistribution?: false },
  ): Tensor;
  cellTypeProbabilities(
    counts: Tensor,
    opts: PosteriorSampleOptions & CellTypeDirichletOptions & { fitDistribution: boolean },
  ): Tensor | Promise<CellTypeDirichlet>;
  cellTypeProbabilities(
    counts: Tensor,
    opts: PosteriorSampleOptions & CellTypeDirichletOptions & { fitDistribution?: boolean } = {},
  ): Tensor | Promise<CellTypeDirichlet> {
    const { nSamples, seed, batchSize, fitDistribution, ...rest } = opts;
    const samples = this.getPosteriorSamples({
      ...(nSamples !== undefined ? { nSamples } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      counts,
    });
    if (fitDistribution) return cellTypeProbabilitiesDirichlet(this.config, counts, samples, rest);
    return cellTypeProbabilitiesSamples(this.config, counts, samples, opts.temperature ?? 1);
  }

  /** Hard component assignment per cell (argmax of the MAP cell-type probabilities), int32 [C]. */
  cellAssignments(counts: Tensor): Tensor {
    return hardAssignments(this.cellTypeProbabilitiesMap(counts));
  }

  /** Empirical mixing weights at the MAP (SCRIBE results). */
  empiricalMixingWeights(counts: Tensor): { weights: Tensor; concentrations: Tensor } {
    return empiricalMixingWeights(this.config, counts, this.getMap({ counts }));
  }

  /** Results restricted to some genes (indices or names). */
  subsetGenes(genes: readonly number[] | readonly string[]): ScribeResults {
    return sliceGenes(this, genes);
  }

  /** One mixture component as non-mixture results (mixing weights dropped). */
  getComponent(k: number): ScribeResults {
    return sliceComponent(this, k);
  }

  /**
   * Dataset `d` of a multi-dataset fit as single-dataset results over its cells (SCRIBE results
   * `get_dataset`; see {@link sliceDataset} for what is kept and what is refused).
   */
  sliceDataset(d: number): ScribeResults {
    return sliceDataset(this, d);
  }

  /** Every mixture component as non-mixture results, in component order (SCRIBE results `get_components`). */
  getComponents(): ScribeResults[] {
    if (this.nComponents < 2) throw new Error("getComponents: not a mixture");
    return Array.from({ length: this.nComponents }, (_, k) => sliceComponent(this, k));
  }

  /**
   * Quantiles at levels `q` (each in (0, 1)): `source: "samples"` (default) of `nSamples`
   * posterior draws (MCMC: the stored draws) of every latent and derived parameter, [Q, …];
   * `source: "guide"` in closed form from the guide's marginals, for the sites whose factor
   * has one (LogNormal, Normal, Normal + transform, Beta, SCRIBE's BetaPrime, Dirichlet
   * marginals).
   * @example
   * const { r } = await results.quantiles([0.025, 0.5, 0.975]); // r: [3, G]
   */
  async quantiles(
    q: readonly number[],
    opts: PosteriorSampleOptions & { source?: "samples" | "guide" } = {},
  ): Promise<Record<string, Tensor>> {
    const { source, ...sampleOpts } = opts;
    if (source === "guide") {
      if (this.mcmcSamples) throw new Error('quantiles: source "guide" needs SVI results');
      return guideQuantiles(this.config, this.params, q, opts.counts ?? this.counts);
    }
    const samples = this.getPosteriorSamples(sampleOpts);
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(samples))
      if (t.dtype !== "bool") out[name] = await sampleQuantiles(t, q);
    return out;
  }

  /** Prior predictive counts [S, C, G] (every latent site drawn from its prior). */
  getPriorPredictiveSamples(opts: { nSamples?: number; seed?: number | Key } = {}): Tensor {
    return priorPredictiveSamples(this.config, opts);
  }

  /**
   * Normalised expression (SCRIBE results `normalize_counts`): per posterior draw of r,
   * compositions ρ ~ Dirichlet(r) over the genes; the draws [S·n, (K,) G] and their mean.
   */
  normalizeCounts(opts: PosteriorSampleOptions & NormalizeOptions = {}): NormalizedExpression {
    const { nSamplesDirichlet, seed, ...rest } = opts;
    const [kPost, kDir] = splitKey(typeof seed === "object" ? seed : makeKey(seed ?? 42), 2) as [Key, Key];
    const samples = this.getPosteriorSamples({ ...rest, seed: kPost });
    return normalizeCountsSamples(samples, {
      seed: kDir,
      ...(nSamplesDirichlet !== undefined ? { nSamplesDirichlet } : {}),
    });
  }

  /** Entropy (nats) of each cell's component assignment at the MAP, [C] (SCRIBE results `assignment_entropy_map`). */
  assignmentEntropyMap(counts: Tensor, temperature = 1): Tensor {
    return entropy(this.cellTypeProbabilitiesMap(counts, temperature));
  }

  /**
   * Entropy (nats) of each cell's component assignment from posterior draws, [C]: of the
   * draw-averaged probabilities (SCRIBE results `mixture_component_entropy`).
   */
  mixtureComponentEntropy(
    counts: Tensor,
    opts: PosteriorSampleOptions & { temperature?: number } = {},
  ): Tensor {
    return entropy(this.cellTypeProbabilities(counts, { ...opts, fitDistribution: false }));
  }

  /**
   * The data with denoised counts (SCRIBE results `get_denoised_anndata`): X = `denoiseCountsMap`
   * of `counts` [C, G] (options as there), the observed counts in `layers.counts`.
   */
  getDenoisedAnnData(counts: Tensor, opts: DenoiseOptions = {}): Promise<AnnData> {
    const den = this.denoiseCountsMap(counts, opts);
    const m = opts.method ?? "mean";
    return denoisedAnnData(
      den,
      counts,
      { obsNames: this.obsNames, varNames: this.varNames },
      Array.isArray(m) ? m.join(",") : String(m),
    );
  }

  /** Deno's Jupyter kernel: a summary table (plots/display.ts). */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return resultsBundle(this);
  }

  /**
   * JSON-serializable form (typed arrays as base64), every tensor read with the one `await`
   * (any backend). {@link fromJSON} rebuilds the results.
   * @example
   * const text = JSON.stringify(await results.toJSONAsync());
   * const back = ScribeResults.fromJSON(JSON.parse(text));
   */
  async toJSONAsync(): Promise<Record<string, unknown>> {
    const [options, params, mcmcSamples] = await Promise.all([
      encodeRecordAsync(this.optionTensors()),
      encodeRecordAsync(this.params),
      this.mcmcSamples ? encodeRecordAsync(this.mcmcSamples) : null,
    ]);
    return this.jsonWith(options, params, mcmcSamples);
  }

  /**
   * The synchronous form of {@link toJSONAsync}, so that `JSON.stringify(results)` works for
   * results on the cpu (a tensor on another backend throws, naming the async form).
   * @deprecated Use `await results.toJSONAsync()`, which reads on every backend.
   */
  toJSON(): Record<string, unknown> {
    const mcmc = this.mcmcSamples ? encodeRecord(this.mcmcSamples) : null;
    return this.jsonWith(encodeRecord(this.optionTensors()), encodeRecord(this.params), mcmc);
  }

  /** The tensors among the model options (stored beside the options, encoded). */
  private optionTensors(): Record<string, Tensor> {
    const { annotationLogits, componentGeneLoc } = this.options;
    return {
      ...(annotationLogits ? { annotationLogits } : {}),
      ...(componentGeneLoc ? { componentGeneLoc } : {}),
    };
  }

  private jsonWith(
    optionTensors: Record<string, EncodedTensor>,
    params: Record<string, EncodedTensor>,
    mcmcSamples: Record<string, EncodedTensor> | null,
  ): Record<string, unknown> {
    const { annotationLogits: _a, componentGeneLoc: _c, ...opts } = this.options;
    return {
      format: "scribe-results",
      version: 1,
      modelType: this.modelType,
      options: opts,
      ...optionTensors,
      params,
      lossHistory: Array.from(this.lossHistory),
      varNames: this.varNames,
      obsNames: this.obsNames,
      inferenceMethod: this.inferenceMethod,
      ...(mcmcSamples ? { mcmcSamples } : {}),
      // non-finite energies are written as null (JSON) and read back as NaN
      ...(this.mcmcPotentialEnergy ? { mcmcPotentialEnergy: Array.from(this.mcmcPotentialEnergy) } : {}),
      meta: this.meta,
    };
  }

  /** Rebuild results from {@link toJSONAsync}'s output. */
  static fromJSON(json: Record<string, unknown>): ScribeResults {
    if (json.format !== "scribe-results")
      throw new Error("not a SCRIBE results file (missing format: scribe-results)");
    const ann = json.annotationLogits as EncodedTensor | undefined;
    const loc = json.componentGeneLoc as EncodedTensor | undefined;
    // files written before componentGeneLoc was encoded hold the tensor object itself: dropped
    const { componentGeneLoc: _old, ...opts } = json.options as ModelOptions;
    const energy = json.mcmcPotentialEnergy as (number | null)[] | undefined;
    return new ScribeResults({
      modelType: json.modelType as ModelType,
      options: {
        ...opts,
        ...(ann ? { annotationLogits: decodeTensor(ann) } : {}),
        ...(loc ? { componentGeneLoc: decodeTensor(loc) } : {}),
      },
      params: decodeRecord(json.params as Record<string, EncodedTensor>),
      lossHistory: Float64Array.from(json.lossHistory as number[]),
      varNames: json.varNames as string[],
      obsNames: json.obsNames as string[],
      inferenceMethod: (json.inferenceMethod as "svi" | "mcmc") ?? "svi",
      ...(json.mcmcSamples
        ? { mcmcSamples: decodeRecord(json.mcmcSamples as Record<string, EncodedTensor>) }
        : {}),
      ...(energy ? { mcmcPotentialEnergy: Float64Array.from(energy, (e) => e ?? Number.NaN) } : {}),
      meta: (json.meta as Record<string, unknown>) ?? {},
    });
  }

  /** Save as JSON (Node; atomic). */
  async save(path: string): Promise<void> {
    const { writeTextAtomic } = await import("./serialize.js");
    await writeTextAtomic(path, JSON.stringify(await this.toJSONAsync()));
  }

  /** Load results saved by {@link save} (Node). */
  static async load(path: string): Promise<ScribeResults> {
    const { readTextIfExists } = await loadNodeOnly(
      `ScribeResults.load(${path})`,
      () => import("../persist/text-file-node.js"),
      "readTextIfExists",
      "in the browser, parse the text yourself and call ScribeResults.fromJSON",
    );
    const text = readTextIfExists(path);
    if (text === null) throw new Error(`ScribeResults.load: no such file ${path}`);
    return ScribeResults.fromJSON(JSON.parse(text) as Record<string, unknown>);
  }
}
