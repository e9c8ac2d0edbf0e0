/**
 * `fit(counts | anndata, options)`: SCRIBE's one-call entry point (spec §4.1). Defaults: model
 * nbvcp, canonical parameterization, SVI with Adam(1e−3) on the mean-field ELBO, stable
 * updates, seed 42, 50 000 steps, full batch. Options add minibatching (`batchSize`), early
 * stopping, checkpoints with exact resume, a progress callback, a stop flag (for SIGINT), and
 * NUTS instead of SVI (`inferenceMethod: "mcmc"`).
 * @module
 */
import { fromTypedArray, keep, type Key, key as makeKey, type Tensor } from "@scribe/core";
import { Adam, MCMC, NUTS, type Optimizer, type OptimizerState, SVI, type SVIState, TraceMeanFieldELBO } from "@scribe/infer";
import type { AnnData } from "./io/anndata.js";
import { decodeCategorical, isCategorical } from "./io/frame.js";
import { toDense } from "./io/matrix.js";
import { validateCounts } from "./io/validate.js";
import { annotationLogits } from "./models/annotation.js";
import { isTwoStateModel, type ModelOptions, type ModelType, makeConfig } from "./models/config.js";
import { componentInit } from "./models/mixture-init.js";
import { scribeModel } from "./models/presets.js";
import { twoStateMuPriorLoc } from "./models/two-state.js";
import { withDerived } from "./results/posterior.js";
import { ScribeResults } from "./results/results.js";
import { decodeRecord, type EncodedTensor, encodeRecord, writeTextAtomic } from "./results/serialize.js";

/** Early-stopping settings (SCRIBE's defaults). */
export interface EarlyStoppingOptions {
  /** Checks without improvement before stopping (in steps; default 500). */
  patience?: number;
  /** Minimum decrease of the smoothed loss that counts as improvement (default 1). */
  minDelta?: number;
  /** Check every this many steps (default 100). */
  checkEvery?: number;
  /** No stopping before this step (default 5000). */
  warmup?: number;
  /** Moving-average window of the loss (default 100). */
  smoothingWindow?: number;
  /** Return the params of the best smoothed loss (default true). */
  restoreBest?: boolean;
}

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
  /** SVI steps (default 50 000). */
  nSteps?: number;
  /** Cells per minibatch (default: all). */
  batchSize?: number | null;
  /** Adam step size (default 1e−3). */
  learningRate?: number;
  /** Custom optimizer (overrides learningRate). */
  optimizer?: Optimizer;
  /** Skip non-finite updates (default true). */
  stableUpdate?: boolean;
  /** Seed (default 42). */
  seed?: number;
  /** Early stopping: true for the defaults, or settings. */
  earlyStopping?: boolean | EarlyStoppingOptions;
  /** AnnData layer holding counts (default X). */
  layer?: string;
  /** AnnData obs column(s) with labels for annotation priors (mixtures, spec §2.6). */
  annotationKey?: string;
  /** κ of the annotation prior (default 3). */
  annotationConfidence?: number;
  /** Called every `progressEvery` steps with (step, nSteps, loss). */
  onProgress?: (step: number, nSteps: number, loss: number) => void;
  /** Period of `onProgress` (default 100). */
  progressEvery?: number;
  /** Checkpoint file (JSON; Node) written every `checkpointEvery` steps and on stop. */
  checkpointPath?: string;
  /** Steps between checkpoints (default 2500). */
  checkpointEvery?: number;
  /** Continue from `checkpointPath` if it exists. */
  resume?: boolean;
  /** Mixtures: start components at k-means clusters of the cells (default true). */
  initComponents?: boolean;
  /** Polled between steps; returning true writes a checkpoint and stops (result `interrupted`). */
  shouldStop?: () => boolean;
  /** MCMC draws / warmup / chains (defaults 2000 / 1000 / 1). */
  nSamples?: number;
  nWarmup?: number;
  nChains?: number;
}

/** What {@link fit} returns: the results plus how the run ended. */
export interface FitOutcome {
  results: ScribeResults;
  /** Steps completed. */
  steps: number;
  /** Stopped early by `shouldStop` (checkpoint written). */
  interrupted: boolean;
  /** Stopped by early stopping. */
  earlyStopped: boolean;
}

function isAnnData(x: unknown): x is AnnData {
  return typeof x === "object" && x !== null && "X" in x && "obs" in x && "var" in x;
}

/** Dense float32 counts [C, G] with names, after validation (finite non-negative integers). */
export function prepareCounts(data: Tensor | AnnData, layer?: string): { counts: Tensor; obsNames?: string[]; varNames?: string[]; adata?: AnnData } {
  if (isAnnData(data)) {
    const m = layer === undefined ? data.X : data.layers[layer];
    if (!m) throw new Error(`fit: no layer ${JSON.stringify(layer)}; layers: ${Object.keys(data.layers).join(", ") || "(none)"}`);
    validateCounts(m, { allowEmpty: true, obsNames: data.obs.index, varNames: data.var.index });
    const d = toDense(m, "float32");
    if (d.shape[0] === 0 || d.shape[1] === 0) throw new Error(`fit: empty count matrix [${d.shape}]`);
    return { counts: fromTypedArray(d.data as Float32Array, [d.shape[0], d.shape[1]]), obsNames: data.obs.index, varNames: data.var.index, adata: data };
  }
  if (data.rank !== 2) throw new Error(`fit: counts must be a cells × genes matrix, got shape [${data.shape}]`);
  if (data.shape[0] === 0 || data.shape[1] === 0) throw new Error(`fit: empty count matrix [${data.shape}]`);
  const v = data.dataSync() as ArrayLike<number>;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x) || x < 0 || !Number.isInteger(x)) {
      const G = data.shape[1]!;
      throw new Error(`fit: counts must be finite non-negative integers; cell ${Math.floor(i / G)}, gene ${i % G} has ${x}`);
    }
  }
  return { counts: data.dtype === "float32" ? data : data.astype("float32") };
}

/** A checkpoint: everything needed to continue a run bit-exactly. */
export interface Checkpoint {
  format: "scribe-checkpoint";
  version: 1;
  step: number;
  rngKey: { hi: number; lo: number };
  params: Record<string, EncodedTensor>;
  slots: Record<string, Record<string, EncodedTensor>>;
  losses: number[];
  /** Fingerprint of the data and settings, checked on resume. */
  fingerprint: string;
}

function fingerprint(modelType: string, opts: object, counts: Tensor, extra: object): string {
  const sum = counts.sum().item();
  return JSON.stringify({ modelType, opts, shape: counts.shape, sum, extra });
}

function saveState(state: SVIState, losses: number[], fp: string): Checkpoint {
  const os = state.optimState;
  const slots: Record<string, Record<string, EncodedTensor>> = {};
  for (const [k, v] of Object.entries(os.slots)) slots[k] = encodeRecord(v);
  return {
    format: "scribe-checkpoint",
    version: 1,
    step: os.step,
    rngKey: { hi: state.rngKey.hi, lo: state.rngKey.lo },
    params: encodeRecord(os.params),
    slots,
    losses,
    fingerprint: fp,
  };
}

function restoreState(ck: Checkpoint): SVIState {
  const params = decodeRecord(ck.params);
  const slots: Record<string, Record<string, Tensor>> = {};
  for (const [k, v] of Object.entries(ck.slots)) slots[k] = decodeRecord(v);
  for (const t of Object.values(params)) keep(t);
  for (const r of Object.values(slots)) for (const t of Object.values(r)) keep(t);
  const optimState: OptimizerState = { step: ck.step, params, slots };
  return { optimState, rngKey: { hi: ck.rngKey.hi, lo: ck.rngKey.lo } as Key };
}

async function readCheckpoint(path: string): Promise<Checkpoint | null> {
  const { readTextIfExists } = await import("./persist/text-file-node.js");
  const text = readTextIfExists(path);
  if (text === null) return null;
  const ck = JSON.parse(text) as Checkpoint;
  if (ck.format !== "scribe-checkpoint") throw new Error(`${path} is not a SCRIBE checkpoint`);
  return ck;
}

const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

/**
 * Fit a SCRIBE model to a cells × genes count matrix (tensor) or an AnnData.
 * @example
 * const { results } = await fit(counts, { model: "nbdm", nSteps: 2000 });
 * const map = results.getMap(); // p, r, mu, phi
 */
export async function fit(data: Tensor | AnnData, options: FitOptions = {}): Promise<FitOutcome> {
  const { counts, obsNames, varNames, adata } = prepareCounts(data, options.layer);
  const [C, G] = counts.shape as [number, number];
  const modelType = options.model ?? "nbvcp";
  const modelOpts: ModelOptions = {
    nCells: C,
    nGenes: G,
    ...pick(options, ["parameterization", "unconstrained", "positiveTransform", "nComponents", "mixtureParams", "priors", "guideRank", "amortizeCapture", "captureHiddenDims", "annotationLogits", "nQuadNodes", "muPriorLoc"]),
  };
  const twoState = isTwoStateModel(modelType);
  if (options.annotationKey) {
    if (twoState) throw new Error(`fit: model ${modelType} does not support annotation priors (annotationKey)`);
    if (!adata) throw new Error("fit: annotationKey needs an AnnData input");
    const col = adata.obs.columns[options.annotationKey];
    if (!col) throw new Error(`fit: obs has no column ${JSON.stringify(options.annotationKey)}`);
    const labels = isCategorical(col) ? decodeCategorical(col) : (col as unknown[]).map((v) => (v === null || v === "" ? null : String(v)));
    const ann = annotationLogits(labels, { confidence: options.annotationConfidence ?? 3 });
    modelOpts.annotationLogits = ann.logits;
    modelOpts.nComponents ??= ann.components.length;
  }
  // Mixtures start their components at k-means clusters of the cells (models/mixture-init.ts).
  const K = modelOpts.nComponents ?? 1;
  if (K > 1 && options.initComponents !== false && !modelOpts.componentGeneLoc) {
    const variableCapture = modelType === "nbvcp" || modelType === "zinbvcp" || modelType === "twostatevcp";
    modelOpts.componentGeneLoc = componentInit({ nComponents: K, variableCapture }, counts, options.seed ?? 42).geneLoc;
  }
  // TwoState: data-driven prior location (and guide start) of mu, spec §1.5; an explicit
  // priors.mu / mean_expression tuple keeps its own location.
  const priorKeys = Object.keys(modelOpts.priors ?? {});
  if (twoState && !modelOpts.muPriorLoc && !priorKeys.includes("mu") && !priorKeys.includes("mean_expression"))
    modelOpts.muPriorLoc = twoStateMuPriorLoc(makeConfig(modelType, modelOpts), counts);
  const { model, guide, config } = scribeModel(modelType, modelOpts);
  const seed = options.seed ?? 42;
  const meta: Record<string, unknown> = { seed };
  // The mu anchor shapes the prior and the guide start only; results (which may be sliced by
  // genes) keep it in meta instead of their model options.
  const { muPriorLoc, ...resultOpts } = modelOpts;
  if (muPriorLoc) meta.muPriorLoc = [...muPriorLoc];
  if ((options.inferenceMethod ?? "svi") === "mcmc") {
    const mcmc = new MCMC(new NUTS({ model: model as never }), {
      numWarmup: options.nWarmup ?? 1000,
      numSamples: options.nSamples ?? 2000,
      numChains: options.nChains ?? 1,
      progressBar: false,
    });
    await mcmc.run(makeKey(seed), counts, null);
    const draws = mcmc.getSamples();
    const samples = withDerived(config, draws, 1);
    const results = new ScribeResults({ modelType, options: resultOpts, params: {}, lossHistory: new Float64Array(0), obsNames, varNames, inferenceMethod: "mcmc", mcmcSamples: samples, meta });
    return { results, steps: 0, interrupted: false, earlyStopped: false };
  }
  const nSteps = options.nSteps ?? 50_000;
  if (!Number.isInteger(nSteps) || nSteps < 0) throw new Error(`fit: nSteps must be a non-negative integer, got ${nSteps}`);
  const batchSize = options.batchSize ?? null;
  if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize < 1)) throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
  const lr = options.learningRate ?? 1e-3;
  const optim = options.optimizer ?? new Adam(lr);
  const svi = new SVI(model, guide, optim, new TraceMeanFieldELBO());
  const args: [Tensor, number | null] = [counts, batchSize];
  const stable = options.stableUpdate ?? true;
  const { annotationLogits: _a, ...fpOpts } = modelOpts;
  const fp = fingerprint(modelType, fpOpts, counts, { seed, batchSize, lr, nSteps });
  let state = svi.init(makeKey(seed), args);
  let losses: number[] = [];
  if (options.resume && options.checkpointPath) {
    const ck = await readCheckpoint(options.checkpointPath);
    if (ck) {
      if (ck.fingerprint !== fp) throw new Error(`fit: checkpoint ${options.checkpointPath} was written for different data or settings; remove it or drop --resume`);
      optim.dispose(state.optimState);
      state = restoreState(ck);
      losses = ck.losses;
    }
  }
  const es = options.earlyStopping ? { patience: 500, minDelta: 1, checkEvery: 100, warmup: 5000, smoothingWindow: 100, restoreBest: true, ...(options.earlyStopping === true ? {} : options.earlyStopping) } : null;
  let best = Number.POSITIVE_INFINITY;
  let bestStep = state.optimState.step;
  let bestParams: Record<string, Tensor> | null = null;
  const every = options.progressEvery ?? 100;
  const ckEvery = options.checkpointEvery ?? 2500;
  const writeCk = async () => {
    if (options.checkpointPath) await writeTextAtomic(options.checkpointPath, JSON.stringify(saveState(state, losses, fp)));
  };
  let interrupted = false;
  let earlyStopped = false;
  let lastYield = performance.now();
  while (state.optimState.step < nSteps) {
    const r = stable ? svi.stableUpdate(state, args) : svi.update(state, args);
    state = r.state;
    const loss = r.loss.item();
    r.loss.dispose();
    losses.push(loss);
    const step = state.optimState.step;
    if (options.onProgress && (step % every === 0 || step === nSteps)) options.onProgress(step, nSteps, loss);
    if (options.checkpointPath && step % ckEvery === 0 && step < nSteps) await writeCk();
    if (es && step % es.checkEvery === 0 && losses.length >= es.smoothingWindow) {
      const w = losses.slice(-es.smoothingWindow);
      const smooth = w.reduce((a, b) => a + b, 0) / w.length;
      if (smooth < best - es.minDelta) {
        best = smooth;
        bestStep = step;
        if (es.restoreBest) {
          bestParams = Object.fromEntries(Object.entries(svi.getParams(state)).map(([k, v]) => [k, keep(v.add(0))]));
        }
      } else if (step >= es.warmup && step - bestStep >= es.patience) {
        earlyStopped = true;
        break;
      }
    }
    if (performance.now() - lastYield > 100) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
    if (options.shouldStop?.()) {
      interrupted = true;
      await writeCk();
      break;
    }
  }
  const params = earlyStopped && bestParams ? bestParams : svi.getParams(state);
  meta.steps = state.optimState.step;
  meta.batchSize = batchSize;
  meta.learningRate = lr;
  const results = new ScribeResults({ modelType, options: resultOpts, params, lossHistory: Float64Array.from(losses), obsNames, varNames, meta });
  return { results, steps: state.optimState.step, interrupted, earlyStopped };
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

