/**
 * `fit(counts | anndata, options)`: SCRIBE's one-call entry point (upstream `src/scribe/api/fit.py`). Defaults: model
 * nbvcp, canonical parameterization, SVI with Adam(1e−3) on the mean-field ELBO, stable
 * updates, seed 42, 50 000 steps, full batch. Options add minibatching (`batchSize`), early
 * stopping, checkpoints with exact resume, progress, an `AbortSignal` (for SIGINT), the
 * backend (`backend: "webgpu"`), and NUTS instead of SVI (`inferenceMethod: "mcmc"`).
 *
 * Training is `SVI.run` of `@scribe/infer` (the one loop: it reads the losses back once per
 * progress update, counts and caps non-finite steps, and saves its binary checkpoints);
 * this file only prepares the data and the model and maps SCRIBE's options onto it.
 * @module
 */
import {
  cpuBackend,
  currentBackend,
  fromTypedArray,
  loadNodeOnly,
  key as makeKey,
  type Tensor,
  useBackend,
  withBackend,
} from "@scribe/core";
import {
  Adam,
  type EarlyStoppingOptions,
  MCMC,
  NUTS,
  type Optimizer,
  SVI,
  type SVIProgress,
  type SVIRunResult,
  TraceMeanFieldELBO,
} from "@scribe/infer";
import { combinationIndex, combinationLevels } from "./families/dataset-factors.js";
import { familyByName } from "./families/registry.js";
import { familyNameOfModel } from "./families/traits.js";
import { prepareFitCheckpointing } from "./fit-checkpointing.js";
import type { AnnData } from "./io/anndata.js";
import type { BackedCounts } from "./io/backed-counts-node.js";
import { decodeCategorical, isCategorical } from "./io/frame.js";
import { toDense } from "./io/matrix.js";
import { validateCounts } from "./io/validate.js";
import { fitLaplace, type LaplaceFitOptions, type LaplaceFitOutcome } from "./laplace/fit-laplace.js";
import { nbSummaryOf } from "./laplace/svi-cascade.js";
import { annotationLogits } from "./models/annotation.js";
import { type ModelOptions, type ModelType, makeConfig } from "./models/config.js";
import { datasetsOfColumn } from "./models/dataset-key.js";
import { expressionAnchorLoc } from "./models/expression-anchor.js";
import { applyGeneCoverage } from "./models/gene-coverage.js";
import { datasetDesign, type GroupLevel } from "./models/group-levels.js";
import { annealLatents, checkKlAnnealingWarmup } from "./models/kl-annealing.js";
import { componentInit } from "./models/mixture-init.js";
import { scribeModel } from "./models/presets.js";
import { checkLevelPriors } from "./models/priors.js";
import { withDerived } from "./results/posterior.js";
import { ScribeResults } from "./results/results.js";
import { fitVae, type VaeFitOutcome } from "./vae/fit-vae.js";
import { annealOptimizer, KlAnnealing } from "./vae/kl-annealing.js";
import type { VaeFitOptions } from "./vae/options.js";

export type { EarlyStoppingOptions } from "@scribe/infer";

/** SCRIBE's early-stopping defaults (SCRIBE `fit()` config defaults), in `@scribe/infer`'s option names. */
export const SCRIBE_EARLY_STOPPING: Required<EarlyStoppingOptions> = {
  patience: 500,
  minDelta: 1,
  window: 100,
  minSteps: 5000,
  restoreBest: true,
};

/** Options of {@link fit}. */
export interface FitOptions extends Partial<Omit<ModelOptions, "nCells" | "nGenes">> {
  /**
   * nbdm | zinb | nbvcp (default) | zinbvcp | twostate | twostatevcp. The TwoState models need
   * an explicit TwoState `parameterization` (two_state_natural / natural, two_state_ratio /
   * ratio, two_state_mean_fano / mean_fano / fano, two_state_moment_delta / moment_delta /
   * delta); their mu prior is anchored at the data (see `twoStateMuPriorLoc`) unless
   * `muPriorLoc` or a `priors.mu` tuple is given.
   */
  model?: ModelType;
  /** "svi" (default) or "mcmc" (NUTS). */
  inferenceMethod?: "svi" | "mcmc";
  /**
   * Where to compute: "cpu" or "webgpu" (default: the current backend). In Node, WebGPU
   * needs `@scribe/core/node` imported first (it registers Dawn). The results come back on
   * the CPU (one readback of the fitted params), so their methods run anywhere.
   */
  backend?: "cpu" | "webgpu";
  /** SVI steps in all, counting a resumed run's earlier steps (default 50 000). */
  nSteps?: number;
  /** Cells per minibatch (default: all). */
  batchSize?: number | null;
  /** Adam step size (default 1e−3). */
  learningRate?: number;
  /** Custom optimizer (overrides learningRate). */
  optimizer?: Optimizer;
  /** Leave the params unchanged on non-finite steps (default true); see `SVIRunOptions.stableUpdate`. */
  stableUpdate?: boolean;
  /**
   * Replay SVI's recorded step on the cpu (infer's `SVIOptions.compileStep`, bit for bit the
   * eager steps; default: infer's `setCompiledSVISteps`, on). False runs every step eagerly.
   */
  compileStep?: boolean;
  /** Stop with an error after this many consecutive non-finite steps (default 100). */
  maxNonFiniteSteps?: number;
  /** Seed (default 42). */
  seed?: number;
  /**
   * Early stopping: true for SCRIBE's defaults ({@link SCRIBE_EARLY_STOPPING}), or settings
   * (`@scribe/infer`'s `EarlyStoppingOptions`; missing ones take SCRIBE's defaults). Checks
   * happen at progress updates (`progressEvery`).
   */
  earlyStopping?: boolean | EarlyStoppingOptions;
  /** AnnData layer holding counts (default X). */
  layer?: string;
  /** AnnData obs column(s) with labels for annotation priors (mixtures, SCRIBE annotation priors). */
  annotationKey?: string;
  /** κ of the annotation prior (default 3). */
  annotationConfidence?: number;
  /** Called at each progress update with (steps done, nSteps, latest loss, details incl. skipped steps). */
  onProgress?: (step: number, nSteps: number, loss: number, progress: SVIProgress) => void;
  /** Steps between progress updates: losses are read back then, in one batch (default 100). */
  progressEvery?: number;
  /** Checkpoint file (`@scribe/infer`'s binary SVI checkpoint; Node) written every `checkpointEvery` steps and on stop. */
  checkpointPath?: string;
  /** Steps between checkpoints (default 2500). */
  checkpointEvery?: number;
  /** Continue from `checkpointPath` if it exists (`nSteps` may be raised). */
  resume?: boolean;
  /** Mixtures: start components at k-means clusters of the cells; factor designs: start the base at the mean counts (default true). */
  initComponents?: boolean;
  /** Aborting stops the run at the next step, writes a checkpoint and returns (`interrupted`). */
  signal?: AbortSignal;
  /**
   * KL annealing (SCRIBE `kl_annealing_warmup`, `models/kl-annealing.ts`): the ELBO's KL term
   * is weighted by β_t = min(1, (t + 1) / klAnnealingWarmup) at step t (SVI only; default 0,
   * no annealing).
   */
  klAnnealingWarmup?: number;
  /**
   * Gene coverage (SCRIBE `gene_coverage`, `models/gene-coverage.ts`): keep the fewest genes
   * whose counts, largest first, reach this fraction (0, 1] of all counts; the rest are summed
   * into a trailing `_other` gene that is fitted like the others. Results name the genes
   * (`varNames`) and list the pooled ones in `meta.geneCoverage`.
   */
  geneCoverage?: number;
  /**
   * Multi-dataset design (SCRIBE `dataset_key`, `models/datasets.ts`): the obs column naming
   * each cell's dataset; its levels, sorted, are datasets 0 … D − 1 (`meta.datasetLevels`).
   * See `datasetParams`, `datasetMixing`, `probDatasetMode`; needs `unconstrained: true`.
   */
  datasetKey?: string | readonly string[];
  /**
   * With several dataset keys (crossed factors, `families/dataset-factors.ts`): pairs of keys
   * whose interaction gets its own log-scale effect (SCRIBE `interactions`).
   */
  interactions?: readonly (readonly [string, string])[];
  /**
   * Nested dataset keys (SCRIBE `hierarchy`), child → parent: `{ donor: "batch" }` with
   * `datasetKey: ["batch", "donor"]` says each donor belongs to one batch. The donor is then a
   * random effect: each donor's log-scale effect is drawn around its batch's with a learned
   * scale (partial pooling, so a donor with few cells is shrunk toward its batch), and the
   * datasets are the level combinations present in the data (`families/dataset-factors.ts`).
   *
   * Or SCRIBE's structural form, a list of factors in place of `datasetKey` (which, if given
   * too, must name the same columns in the same order): `[{ name: "treat", effect_type:
   * "fixed", fixed_scale: 2 }, { name: "donor", nested_in: "treat" }]`, each a column name or
   * `{ name, nested_in?, effect_type?, fixed_scale? }` (`models/group-levels.ts`). It is the
   * list's columns as `datasetKey`, its `nested_in` as the map, and each factor's effect type
   * ("random" by default: a learned scale; "fixed": N(0, fixed_scale)) as a `priors` level
   * entry `{ factor: { effect_type, fixed_scale } }` of every dataset parameter.
   */
  hierarchy?: Readonly<Record<string, string>> | readonly (string | GroupLevel)[];
  /** MCMC draws / warmup / chains (defaults 2000 / 1000 / 1). */
  nSamples?: number;
  nWarmup?: number;
  nChains?: number;
  /**
   * Stream the minibatches from the `.h5ad` file given as the data (a path; Node): SVI reads
   * each step's cells from disk and never holds `X` whole (`io/backed-counts-node.ts`); the
   * results equal the in-memory run's for the same seed. Needs `batchSize` below the number of
   * cells; options that need the whole matrix up front are refused by name.
   */
  backed?: boolean;
}

/** What {@link fit} returns: the results plus how the run ended. */
export interface FitOutcome {
  results: ScribeResults;
  /** Steps completed. */
  steps: number;
  /** Stopped early by `signal` (checkpoint written). */
  interrupted: boolean;
  /** Stopped by early stopping. */
  earlyStopped: boolean;
  /** Non-finite steps skipped (stable updates). */
  skippedSteps: number;
  /**
   * SVI fits: whether the steps ran compiled (infer's `SVI.compiledStep`: state, the reason for
   * eager steps, replays), for finding out why a fit runs slower than expected.
   */
  compiledStep?: SVI<unknown[]>["compiledStep"];
}

function isAnnData(x: unknown): x is AnnData {
  return typeof x === "object" && x !== null && "X" in x && "obs" in x && "var" in x;
}

/** Counts on the host: float32 values [C, G] row-major, with names. */
interface HostCounts {
  data: Float32Array;
  shape: [number, number];
  obsNames?: string[];
  varNames?: string[];
  adata?: AnnData;
  /** Totals of the counts computed elsewhere (a backed file's streaming pass), for the fingerprint. */
  stats?: { sum: number; weighted: number };
}

function checkCountValues(v: ArrayLike<number>, G: number): void {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x) || x < 0 || !Number.isInteger(x))
      throw new Error(
        `fit: counts must be finite non-negative integers; cell ${Math.floor(i / G)}, gene ${i % G} has ${x}`,
      );
  }
}

function annDataCounts(data: AnnData, layer?: string): HostCounts {
  const m = layer === undefined ? data.X : data.layers[layer];
  if (!m)
    throw new Error(
      `fit: no layer ${JSON.stringify(layer)}; layers: ${Object.keys(data.layers).join(", ") || "(none)"}`,
    );
  validateCounts(m, { allowEmpty: true, obsNames: data.obs.index, varNames: data.var.index });
  const d = toDense(m, "float32");
  if (d.shape[0] === 0 || d.shape[1] === 0) throw new Error(`fit: empty count matrix [${d.shape}]`);
  return {
    data: d.data as Float32Array,
    shape: [d.shape[0], d.shape[1]],
    obsNames: data.obs.index,
    varNames: data.var.index,
    adata: data,
  };
}

function checkTensorShape(data: Tensor): [number, number] {
  if (data.rank !== 2)
    throw new Error(`fit: counts must be a cells × genes matrix, got shape [${data.shape}]`);
  if (data.shape[0] === 0 || data.shape[1] === 0) throw new Error(`fit: empty count matrix [${data.shape}]`);
  return data.shape as [number, number];
}

/**
 * Dense float32 counts [C, G] on the CPU with names, after validation (finite non-negative
 * integers), from an AnnData's host memory (no readback). A tensor's values must be read to be
 * validated: use {@link prepareCountsAsync} for tensors.
 * @example
 * const { counts } = prepareCounts(adata); // [C, G] float32 on the cpu
 */
export function prepareCounts(
  data: AnnData,
  layer?: string,
): { counts: Tensor; obsNames?: string[]; varNames?: string[]; adata?: AnnData } {
  if (!isAnnData(data))
    throw new Error("prepareCounts: takes an AnnData; for a tensor use 'await prepareCountsAsync(t)'");
  const h = annDataCounts(data, layer);
  return {
    counts: withBackend(cpuBackend(), () => fromTypedArray(h.data, h.shape)),
    obsNames: h.obsNames,
    varNames: h.varNames,
    adata: h.adata,
  };
}

/**
 * {@link prepareCounts} for an AnnData or a counts tensor on any backend: a tensor's values are
 * validated after the one `await` that reads them, and come back as a float32 tensor on the CPU.
 * @example
 * const { counts } = await prepareCountsAsync(tensor([[0, 3], [1, 0]]));
 */
export async function prepareCountsAsync(
  data: Tensor | AnnData,
  layer?: string,
): Promise<{ counts: Tensor; obsNames?: string[]; varNames?: string[]; adata?: AnnData }> {
  if (isAnnData(data)) return prepareCounts(data, layer);
  const h = await hostCounts(data);
  return { counts: withBackend(cpuBackend(), () => fromTypedArray(h.data, h.shape)) };
}

/** The counts on the host, reading a tensor on any backend with the one `await`. */
async function hostCounts(data: Tensor | AnnData, layer?: string): Promise<HostCounts> {
  if (isAnnData(data)) return annDataCounts(data, layer);
  const shape = checkTensorShape(data);
  const v = await data.data();
  checkCountValues(v as ArrayLike<number>, shape[1]);
  return { data: v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>), shape };
}

/**
 * Gene coverage (SCRIBE `gene_coverage`, models/gene-coverage.ts): the counts with the genes
 * outside the covered fraction pooled into `_other`; what was pooled is kept for the results.
 */
function withGeneCoverage(
  h: HostCounts,
  fraction: number | undefined,
): HostCounts & { coverage?: { fraction: number; pooledGenes: string[] } } {
  if (fraction === undefined || fraction === null) return h;
  const r = applyGeneCoverage(h.data, h.shape, h.varNames, fraction);
  const names = h.varNames ?? Array.from({ length: h.shape[1] }, (_, g) => String(g));
  return {
    ...h,
    data: r.data,
    shape: r.shape,
    varNames: r.varNames,
    coverage: { fraction, pooledGenes: r.selection.pooled.map((g) => names[g]!) },
  };
}

/** What a fit checkpoint's metadata holds: the settings and data it belongs to. */
function fingerprint(modelType: string, opts: object, counts: HostCounts, extra: object): string {
  // Sum and a position-weighted sum of the counts (float64): different data of the same
  // shape and total still differ (the CLI adds a content hash of its own, cli/run-folder.ts).
  let sum = counts.stats?.sum ?? 0;
  let weighted = counts.stats?.weighted ?? 0;
  for (let i = 0; i < counts.data.length; i++) {
    sum += counts.data[i]!;
    weighted += counts.data[i]! * ((i % 9973) + 1);
  }
  return JSON.stringify({ modelType, opts, shape: counts.shape, sum, weighted, extra });
}

/** Copy a tensor (any backend) to the current backend; tensors already there are returned. */
async function onCurrentBackend(t: Tensor): Promise<Tensor> {
  const target = currentBackend();
  if (t.backend === target) return t;
  const v = await t.data();
  return fromTypedArray(v instanceof Float64Array ? Float32Array.from(v) : v, [...t.shape]);
}

/** The fitted params, copied to the CPU with one readback each. */
async function toCpu(params: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(params)) {
    if (t.backend === cpuBackend()) {
      out[k] = t;
      continue;
    }
    const v = await t.data();
    out[k] = withBackend(cpuBackend(), () => fromTypedArray(v, [...t.shape]));
  }
  return out;
}

/**
 * Fit a SCRIBE model to a cells × genes count matrix (tensor) or an AnnData.
 * @example
 * const { results } = await fit(counts, { model: "nbdm", nSteps: 2000 });
 * const map = results.getMap(); // p, r, mu, phi
 */
export async function fit(data: Tensor | AnnData, options: VaeFitOptions): Promise<VaeFitOutcome>;
export async function fit(data: Tensor | AnnData, options: LaplaceFitOptions): Promise<LaplaceFitOutcome>;
export async function fit(path: string, options: FitOptions & { backed: true }): Promise<FitOutcome>;
export async function fit(data: Tensor | AnnData, options?: FitOptions): Promise<FitOutcome>;
export async function fit(
  data: Tensor | AnnData | string,
  options: FitOptions | VaeFitOptions | LaplaceFitOptions = {},
): Promise<FitOutcome | VaeFitOutcome | LaplaceFitOutcome> {
  // the dataset design (a structural hierarchy list included) and the per-level priors that
  // name its factors: checked before any data is read
  const sviOrMcmc = options as FitOptions;
  if (options.inferenceMethod !== "laplace" && options.inferenceMethod !== "vae" && !sviOrMcmc.datasetIndices)
    checkLevelPriors(sviOrMcmc.priors, {
      factors: datasetDesign(sviOrMcmc).columns,
      ...(sviOrMcmc.interactions ? { interactions: sviOrMcmc.interactions } : {}),
      ...(sviOrMcmc.parameterization ? { parameterization: sviOrMcmc.parameterization } : {}),
    });
  // Minibatches streamed from an .h5ad file (issue 20): the options are checked by name first
  if (typeof data === "string" || (options as FitOptions).backed) {
    if (typeof data !== "string" || !(options as FitOptions).backed)
      throw new Error(
        "fit: { backed: true } takes the path of an .h5ad file as its data, and a path needs it",
      );
    const { openBackedFit } = await loadNodeOnly(
      "fit: { backed: true } (minibatches read from an .h5ad file)",
      () => import("./io/backed-fit-node.js"),
      "openBackedFit",
      "in the browser, decode the file into an AnnData in memory (as examples/browser/load-data.ts does) and fit that",
    );
    const src = await openBackedFit(data, options as FitOptions);
    try {
      return await fitSviOrMcmc(src, options as FitOptions);
    } finally {
      src.close();
    }
  }
  // Laplace-EM (issue 19, laplace/): pln, nbln, lnm, lnmvcp; its own results type
  if (options.inferenceMethod === "laplace")
    return fitLaplace(data, options as LaplaceFitOptions, {
      // the SVI→Laplace cascade's nbdm fit (laplaceInit "svi"): MAP r, p's odds in float64
      nbSvi: async (counts, o) => nbSummaryOf((await fit(counts, { model: "nbdm", ...o })).results),
    });
  // VAE inference (issue 19, vae/): its own results type, the same SVI loop
  if (options.inferenceMethod === "vae") return fitVaeOn(data, options as VaeFitOptions);
  return fitSviOrMcmc(data, options as FitOptions);
}

async function fitVaeOn(data: Tensor | AnnData, options: VaeFitOptions): Promise<VaeFitOutcome> {
  const prev = currentBackend();
  if (!options.backend || options.backend === prev.name) return fitVae(data, options);
  await useBackend(options.backend);
  try {
    return await fitVae(data, options);
  } finally {
    await useBackend(prev.name);
  }
}

async function fitSviOrMcmc(data: Tensor | AnnData | BackedCounts, options: FitOptions): Promise<FitOutcome> {
  const prev = currentBackend();
  if (!options.backend || options.backend === prev.name) return fitHere(data, options);
  await useBackend(options.backend);
  try {
    return await fitHere(data, options);
  } finally {
    await useBackend(prev.name);
  }
}

async function fitHere(data: Tensor | AnnData | BackedCounts, options: FitOptions): Promise<FitOutcome> {
  // backed: the counts stay in the file; a stand-in serves minibatch rows and library sizes
  const backed = "kind" in data && data.kind === "backed-counts" ? data : null;
  const host: ReturnType<typeof withGeneCoverage> = backed
    ? {
        data: new Float32Array(0),
        shape: [...backed.shape],
        obsNames: backed.obsNames,
        varNames: backed.varNames,
        stats: backed.stats,
      }
    : withGeneCoverage(await hostCounts(data as Tensor | AnnData, options.layer), options.geneCoverage);
  const { obsNames, varNames } = host;
  // the cells' table for annotationKey and datasetKey: the AnnData's, or the backed file's obs
  const adata: Pick<AnnData, "obs"> | undefined = backed ? { obs: backed.obs } : host.adata;
  const [C, G] = host.shape;
  // Data-derived starts (k-means, the TwoState mu anchor) are host computations on a CPU copy.
  const cpuCounts = backed
    ? backed.counts
    : withBackend(cpuBackend(), () => fromTypedArray(host.data, host.shape));
  const counts =
    backed || currentBackend() === cpuBackend() ? cpuCounts : fromTypedArray(host.data, host.shape);
  const modelType = options.model ?? "nbvcp";
  const modelOpts: ModelOptions = {
    nCells: C,
    nGenes: G,
    ...pick(options, [
      "parameterization",
      "unconstrained",
      "positiveTransform",
      "nComponents",
      "mixtureParams",
      "priors",
      "guideRank",
      "guideFlow",
      "guideFlowOptions",
      "jointParams",
      "denseParams",
      "overdispersion",
      "amortizeCapture",
      "captureHiddenDims",
      "annotationLogits",
      "nQuadNodes",
      "muPriorLoc",
      "expressionAnchor",
      "expressionAnchorSigma",
      "expressionAnchorLoc",
      "datasetIndices",
      "nDatasets",
      "datasetParams",
      "datasetMixing",
      "probDatasetMode",
    ]),
  };
  const family = familyByName(familyNameOfModel(modelType));
  // component k's annotation label (persisted as meta.componentLabels for `compare --component LABEL`)
  let annotationComponents: string[] | null = null;
  // each cell's labelled component (−1 unlabelled): the mixture's components start at their labels' means
  let annotationCells: Int32Array | null = null;
  if (options.annotationKey) {
    if (!family.traits.supportsAnnotation)
      throw new Error(`fit: model ${modelType} does not support annotation priors (annotationKey)`);
    if (!adata) throw new Error("fit: annotationKey needs an AnnData input");
    const col = adata.obs.columns[options.annotationKey];
    if (!col) throw new Error(`fit: obs has no column ${JSON.stringify(options.annotationKey)}`);
    const labels = isCategorical(col)
      ? decodeCategorical(col)
      : (col as unknown[]).map((v) => (v === null || v === "" ? null : String(v)));
    const ann = annotationLogits(labels, { confidence: options.annotationConfidence ?? 3 });
    modelOpts.annotationLogits = ann.logits;
    modelOpts.nComponents ??= ann.components.length;
    annotationComponents = ann.components;
    annotationCells = ann.cellComponents;
  }
  // Multi-dataset designs (SCRIBE dataset_key): the datasets are the column's levels, sorted
  let datasetLevels: string[] | null = null;
  // datasetKey + a child → parent map, or SCRIBE's structural hierarchy list (models/group-levels.ts)
  const design = datasetDesign(options);
  if (design.columns.length > 0) {
    if (modelOpts.datasetIndices)
      throw new Error("fit: give datasetKey (or a hierarchy list) or datasetIndices, not both");
    if (!adata) throw new Error("fit: datasetKey needs an AnnData input");
    // several keys (a list, or "a,b" from the command line): crossed factors, SCRIBE multi-factor designs
    const keys = design.columns;
    if (keys.length === 1) {
      const { indices, levels } = datasetsOfColumn(adata, keys[0]!);
      modelOpts.datasetIndices = indices;
      datasetLevels = levels;
    } else {
      const cols = keys.map((k) => datasetsOfColumn(adata, k));
      const sizes = cols.map((c) => c.levels.length);
      const full = Array.from({ length: C }, (_, c) =>
        combinationIndex(
          cols.map((col) => col.indices[c]!),
          sizes,
        ),
      );
      // every combination, row-major ("a__x", "a__y", …, as SCRIBE joins composite labels);
      // with nested factors (hierarchy) only the present ones, in the same order
      let combos = Array.from({ length: sizes.reduce((a, b) => a * b, 1) }, (_, d) => d);
      if (design.hierarchy) combos = [...new Set(full)].sort((a, b) => a - b);
      const position = new Map(combos.map((d, i) => [d, i]));
      modelOpts.datasetIndices = full.map((d) => position.get(d)!);
      modelOpts.nDatasets = combos.length;
      const levelsOf = (d: number) => combinationLevels(d, sizes);
      modelOpts.datasetFactors = {
        names: keys,
        levels: cols.map((c) => c.levels),
        ...(options.interactions ? { interactions: options.interactions } : {}),
        ...(design.hierarchy ? { hierarchy: design.hierarchy, combinations: combos.map(levelsOf) } : {}),
        ...(design.effects ? { effects: design.effects } : {}),
      };
      datasetLevels = combos.map((d) =>
        levelsOf(d)
          .map((l, f) => cols[f]!.levels[l]!)
          .join("__"),
      );
    }
  } else if (options.interactions) throw new Error("fit: interactions need several datasetKey columns");
  if (design.hierarchy && !modelOpts.datasetFactors)
    throw new Error("fit: hierarchy (nested factors) needs several datasetKey columns");
  // a plain array: the options travel with the results (JSON)
  if (modelOpts.datasetIndices) modelOpts.datasetIndices = Array.from(modelOpts.datasetIndices, Number);
  // Mixtures start their components at k-means clusters of the cells (models/mixture-init.ts);
  // a factor design's log-scale base starts at the genes' mean counts (one cluster), since from
  // 0 its nested effects' common offset (a ridge of the likelihood) converges slowly.
  const K = modelOpts.nComponents ?? 1;
  const factorStart = K === 1 && modelOpts.datasetFactors !== undefined;
  if ((K > 1 || factorStart) && options.initComponents !== false && !modelOpts.componentGeneLoc) {
    const variableCapture = family.traits.captureModels.includes(modelType);
    // componentInit runs on the cpu itself (a withBackend around an async call would be left
    // at its first await)
    modelOpts.componentGeneLoc = (
      await componentInit(
        { nComponents: K, variableCapture },
        cpuCounts,
        options.seed ?? 42,
        200,
        annotationCells,
      )
    ).geneLoc;
  }
  // Family-specific data-driven options (TwoState: the mu prior anchor, families/two-state.ts).
  await family.prepareFit(modelType, modelOpts, cpuCounts);
  // Mean anchoring (SCRIBE mean anchoring): per-gene prior centres of mu from the counts (backed: from
  // the totals of the file's streaming pass)
  if (modelOpts.expressionAnchor && !modelOpts.expressionAnchorLoc) {
    const cap = makeConfig(modelType, { ...modelOpts, unconstrained: true });
    const totals = backed ? { geneSums: backed.geneSums, cellTotals: backed.librarySizes } : cpuCounts;
    modelOpts.expressionAnchorLoc = await expressionAnchorLoc(totals, {
      variableCapture: cap.variableCapture,
      logM0: cap.priors.capture?.logM0 ?? null,
    });
  }
  // Tensors the model reads live where it runs.
  if (modelOpts.annotationLogits)
    modelOpts.annotationLogits = await onCurrentBackend(modelOpts.annotationLogits);
  if (modelOpts.componentGeneLoc)
    modelOpts.componentGeneLoc = await onCurrentBackend(modelOpts.componentGeneLoc);
  const { model, guide, config } = scribeModel(modelType, modelOpts);
  const seed = options.seed ?? 42;
  const meta: Record<string, unknown> = { seed };
  if (host.coverage) meta.geneCoverage = host.coverage;
  if (datasetLevels) meta.datasetLevels = datasetLevels;
  const labelled = annotationComponents;
  if (labelled)
    meta.componentLabels = Array.from(
      { length: modelOpts.nComponents ?? labelled.length },
      (_, k) => labelled[k] ?? `component_${k}`,
    );
  // The mu anchor shapes the prior and the guide start only; results (which may be sliced by
  // genes) keep it in meta instead of their model options.
  const { muPriorLoc, expressionAnchorLoc: anchorLoc, ...resultOpts } = modelOpts;
  if (muPriorLoc) meta.muPriorLoc = [...muPriorLoc];
  if (anchorLoc) meta.expressionAnchorLoc = [...anchorLoc];
  if ((options.inferenceMethod ?? "svi") === "mcmc") {
    if (options.klAnnealingWarmup) throw new Error("fit: klAnnealingWarmup applies to SVI, not to MCMC");
    const mcmc = new MCMC(new NUTS({ model: model as never }), {
      numWarmup: options.nWarmup ?? 1000,
      numSamples: options.nSamples ?? 2000,
      numChains: options.nChains ?? 1,
      progressBar: false,
    });
    await mcmc.run(makeKey(seed), counts, null);
    // draws and their potential energies (the MCMC MAP picks the lowest) come back to the CPU
    const samples = await toCpu(withDerived(config, mcmc.getSamples(), 1));
    const energy = await mcmc.getExtraFields().potentialEnergy.data();
    // draws are stored chain after chain; PSIS-LOO's relative efficiency splits them by chain
    meta.numChains = options.nChains ?? 1;
    const results = new ScribeResults({
      modelType,
      options: resultOpts,
      params: {},
      lossHistory: new Float64Array(0),
      obsNames,
      varNames,
      inferenceMethod: "mcmc",
      mcmcSamples: samples,
      mcmcPotentialEnergy: Float64Array.from(energy as ArrayLike<number>),
      meta,
    });
    return { results, steps: 0, interrupted: false, earlyStopped: false, skippedSteps: 0 };
  }
  const nSteps = options.nSteps ?? 50_000;
  if (!Number.isInteger(nSteps) || nSteps < 0)
    throw new Error(`fit: nSteps must be a non-negative integer, got ${nSteps}`);
  const batchSize = options.batchSize ?? null;
  if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize < 1))
    throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
  const lr = options.learningRate ?? 1e-3;
  const baseOptim = options.optimizer ?? new Adam(lr);
  // KL annealing: β from the optimizer's step count scales the latent sites of model and guide
  const warmup = checkKlAnnealingWarmup(options.klAnnealingWarmup ?? 0);
  const clock = warmup > 0 ? new KlAnnealing(warmup) : null;
  const optim = clock ? annealOptimizer(baseOptim, clock) : baseOptim;
  const [sviModel, sviGuide] = backed ? [backed.wrap(model), backed.wrap(guide)] : [model, guide];
  const sviOptions = options.compileStep === undefined ? {} : { compileStep: options.compileStep };
  const svi = clock
    ? new SVI(
        annealLatents(sviModel, () => clock.betaTensor()),
        annealLatents(sviGuide, () => clock.betaTensor()),
        optim,
        new TraceMeanFieldELBO(),
        sviOptions,
      )
    : new SVI(sviModel, sviGuide, optim, new TraceMeanFieldELBO(), sviOptions);
  if (warmup > 0) meta.klAnnealingWarmup = warmup;
  const args: [Tensor, number | null] = [counts, batchSize];
  const es = earlyStoppingOptions(options.earlyStopping);
  const { annotationLogits: _a, componentGeneLoc: _c, ...fpOpts } = modelOpts;
  // nSteps is left out: a resumed run may be extended
  const fp = fingerprint(modelType, fpOpts, host, {
    seed,
    batchSize,
    lr,
    earlyStopping: es ?? null,
    ...(warmup > 0 ? { klAnnealingWarmup: warmup } : {}),
  });

  const {
    resumed,
    stepsDone: done0,
    save,
  } = await prepareFitCheckpointing("fit", options, fp, (st) => svi.optim.dispose(st));
  // backed: the coming minibatches follow from the run's keys, so they can be read ahead
  backed?.planRun(resumed ? resumed.state.rngKey : makeKey(seed), resumed !== null);
  const every = Math.max(1, options.progressEvery ?? 100);
  const run: SVIRunResult = await svi.run(makeKey(seed), Math.max(0, nSteps - done0), args, {
    stableUpdate: options.stableUpdate ?? true,
    ...(resumed ? { initState: resumed.state, history: resumed.history! } : {}),
    logEvery: every,
    progressBar: false,
    ...(es ? { earlyStopping: es } : {}),
    ...(save ? { checkpoint: { every: options.checkpointEvery ?? 2500, save } } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxNonFiniteSteps !== undefined ? { maxNonFiniteSteps: options.maxNonFiniteSteps } : {}),
    ...(options.onProgress
      ? { onProgress: (p: SVIProgress) => options.onProgress!(p.stepsDone, nSteps, p.loss, p) }
      : {}),
  });
  const params = await toCpu(run.params);
  meta.steps = run.stepsDone;
  meta.batchSize = batchSize;
  meta.learningRate = lr;
  if (backed) meta.backedReads = { ...backed.reads };
  const cpuOpts = { ...resultOpts };
  if (cpuOpts.annotationLogits) cpuOpts.annotationLogits = (await toCpu({ a: cpuOpts.annotationLogits })).a!;
  if (cpuOpts.componentGeneLoc) cpuOpts.componentGeneLoc = (await toCpu({ c: cpuOpts.componentGeneLoc })).c!;
  const results = new ScribeResults({
    modelType,
    options: cpuOpts,
    params,
    lossHistory: run.losses,
    obsNames,
    varNames,
    // an amortized capture guide reads each cell's counts: the fitted matrix is its default
    ...(config.amortizeCapture ? { counts: cpuCounts } : {}),
    meta,
  });
  return {
    results,
    steps: run.stepsDone,
    interrupted: run.interrupted,
    earlyStopped: run.stoppedEarly ?? false,
    skippedSteps: run.skippedSteps,
    compiledStep: svi.compiledStep,
  };
}

/** SCRIBE's defaults under the given settings; the old names of fit's own loop are refused with their new ones. */
function earlyStoppingOptions(o: FitOptions["earlyStopping"]): EarlyStoppingOptions | null {
  if (!o) return null;
  if (o === true) return { ...SCRIBE_EARLY_STOPPING };
  const renamed: Record<string, string> = {
    smoothingWindow: "window",
    warmup: "minSteps",
    checkEvery: "progressEvery (a fit option)",
  };
  for (const [old, now] of Object.entries(renamed))
    if (old in o)
      throw new Error(
        `fit: earlyStopping.${old} is now ${now} (one set of options with @scribe/infer's SVI.run)`,
      );
  return { ...SCRIBE_EARLY_STOPPING, ...o };
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
