/**
 * `fit(counts, { inferenceMethod: "vae", ... })`: VAE inference for nbdm, zinb, nbvcp and
 * zinbvcp (SCRIBE VAE), and for the logistic-normal families pln, nbln, lnm and lnmvcp
 * (`log-normal-family.ts`: their decoder, likelihood and globals; the same loop; lnmvcp's
 * totals with the capture integrated out as Laplace-EM's, `laplace/totals.ts`). The counts are read once (one `await`) for validation and the
 * per-gene statistics the encoder input and the decoder's starting bias use; training is
 * `SVI.run` of `@scribe/infer` with `TraceMeanFieldELBO` (minibatches, stable updates,
 * progress, early stopping, checkpoints and exact resume, interrupts), with KL annealing
 * through the optimizer's step count (`kl-annealing.ts`) and, by default where it applies,
 * early stopping on the ELBO of held-out cells (`held-out.ts`, which states the rule).
 * @module
 */
import { cpuBackend, fromTypedArray, key as makeKey, scope, type Tensor, withBackend } from "@scribe/core";
import { Adam, type EarlyStoppingOptions, SVI, type SVIProgress, TraceMeanFieldELBO } from "@scribe/infer";
import { prepareFitCheckpointing } from "../fit-checkpointing.js";
import type { AnnData } from "../io/anndata.js";
import { toDense } from "../io/matrix.js";
import { validateCounts } from "../io/validate.js";
import { selectAlrReference } from "../laplace/alr-reference.js";
import type { CapturePrior } from "../laplace/laplace-results.js";
import { libraryMeanOf } from "../laplace/log-offset.js";
import { fitCapturedTotals, fitTotals, lnmvcpCapturePrior } from "../laplace/totals.js";
import { type ModelOptions, type ModelType, makeConfig } from "../models/config.js";
import { resolveValidation, runWithValidation, splitCells } from "./held-out.js";
import { annealOptimizer, KlAnnealing } from "./kl-annealing.js";
import { flowLatentPrior } from "./latent-flow-prior.js";
import {
  isLogNormalVaeModel,
  LOG_NORMAL_DECODER,
  LOG_NORMAL_VAE_MODELS,
  latentStart,
  logNormalVaeFamily,
} from "./log-normal-family.js";
import { resolveVaeOptions, type VaeFitOptions } from "./options.js";
import { buildVaeGuide, buildVaeModel } from "./vae-model.js";
import { ScribeVAEResults } from "./vae-results.js";
import {
  encoderInput,
  geneStats,
  makeLogNormalVaeSpec,
  makeVaeSpec,
  VAE_MODELS,
  type VaeSpec,
} from "./vae-spec.js";

/**
 * Largest counts matrix (cells × genes values) whose encoder input is computed once per fit
 * (2^27 float32 values = 512 MiB beside the counts); larger fits transform each minibatch.
 */
export const MAX_PRECOMPUTED_INPUT = 2 ** 27;

/** What a VAE fit returns: the results plus how the run ended (as `FitOutcome`). */
export interface VaeFitOutcome {
  results: ScribeVAEResults;
  steps: number;
  interrupted: boolean;
  earlyStopped: boolean;
  skippedSteps: number;
  /** Whether the steps ran compiled (as `FitOutcome.compiledStep`). */
  compiledStep: SVI<unknown[]>["compiledStep"];
}

interface Host {
  data: Float32Array;
  shape: [number, number];
  obsNames?: string[];
  varNames?: string[];
}

async function hostCounts(data: Tensor | AnnData, layer?: string): Promise<Host> {
  if ("X" in data && "obs" in data) {
    const m = layer === undefined ? data.X : data.layers[layer];
    if (!m) throw new Error(`fit (vae): no layer ${JSON.stringify(layer)}`);
    validateCounts(m, { obsNames: data.obs.index, varNames: data.var.index });
    const d = toDense(m, "float32");
    return {
      data: d.data as Float32Array,
      shape: [d.shape[0]!, d.shape[1]!],
      obsNames: data.obs.index,
      varNames: data.var.index,
    };
  }
  const t = data as Tensor;
  if (t.rank !== 2 || t.shape[0] === 0 || t.shape[1] === 0)
    throw new Error(`fit (vae): counts must be a non-empty cells × genes matrix, got shape [${t.shape}]`);
  const v = (await t.data()) as ArrayLike<number>;
  const G = t.shape[1]!;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x) || x < 0 || !Number.isInteger(x))
      throw new Error(
        `fit (vae): counts must be finite non-negative integers; cell ${Math.floor(i / G)}, gene ${i % G} has ${x}`,
      );
  }
  return { data: Float32Array.from(v), shape: [t.shape[0]!, G] };
}

/** Each cell's total count (float64). */
function cellTotals(host: Host): Float64Array {
  const [C, G] = host.shape;
  const totals = new Float64Array(C);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) totals[c]! += host.data[c * G + g]!;
  return totals;
}

/**
 * LNM's and lnmvcp's totals models, fitted on their own as the Laplace path does (the totals
 * are independent of the composition, SCRIBE logistic-normal families): the results'
 * `meta.totals`, and lnmvcp's per-cell posterior mean capture `meta.meanCapture`.
 */
function compositionTotals(
  model: string,
  host: Host,
  capturePrior: CapturePrior | null,
): Record<string, unknown> {
  const totals = cellTotals(host);
  if (model === "lnm") return { totals: fitTotals(totals) };
  const captured = fitCapturedTotals(totals, capturePrior);
  return { totals: captured.fit, meanCapture: Array.from(captured.meanCapture) };
}

/** The VAE's library offset: N̄ of "log-library" for PLN/NBLN, null for none; arrays refused. */
function libraryMeanOption(model: string, option: VaeFitOptions["logOffset"], host: Host): number | null {
  if (option === undefined || option === null) return null;
  const where = `fit (vae, model ${model})`;
  if (option !== "log-library")
    throw new Error(
      `${where}: logOffset takes "log-library" (each cell's offset from its own counts, which every results method can recompute); per-cell offset arrays are Laplace-EM's (inferenceMethod "laplace")`,
    );
  return libraryMeanOf(cellTotals(host), where);
}

/** Copy params to the CPU (one readback each). */
async function toCpu(params: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(params)) {
    if (t.backend === cpuBackend()) out[k] = t;
    else {
      const v = await t.data();
      out[k] = withBackend(cpuBackend(), () => fromTypedArray(v, [...t.shape]));
    }
  }
  return out;
}

/**
 * Fit a VAE (see the module doc). Use through `fit(counts, { inferenceMethod: "vae", ... })`.
 * @example
 * const { results } = await fit(counts, { model: "nbdm", inferenceMethod: "vae", latentDim: 2, nSteps: 500, batchSize: 128 });
 * const z = results.getLatentEmbedding(counts); // [C, 2]
 */
export async function fitVae(data: Tensor | AnnData, options: VaeFitOptions): Promise<VaeFitOutcome> {
  const host = await hostCounts(data, options.layer);
  const [C, G] = host.shape;
  const modelType = options.model ?? "nbvcp";
  if (!isLogNormalVaeModel(modelType) && !(VAE_MODELS as readonly string[]).includes(modelType))
    throw new Error(
      `fit (model ${modelType}, inferenceMethod "vae"): ${modelType} has no VAE decoder; the VAE fits ${[...VAE_MODELS, ...LOG_NORMAL_VAE_MODELS].join(", ")}`,
    );
  const composition = modelType === "lnm" || modelType === "lnmvcp";
  const logNormal = isLogNormalVaeModel(modelType)
    ? logNormalVaeFamily(
        modelType,
        G,
        composition ? selectAlrReference(host.data, C, G) : -1,
        options.rPriorLoc ?? 0,
        libraryMeanOption(modelType, options.logOffset, host),
      )
    : null;
  if (!logNormal && options.logOffset !== undefined && options.logOffset !== null)
    throw new Error(
      `fit (vae, model ${modelType}): logOffset is PLN's and NBLN's; the NB models take the library through capture (vcp) or decoderForm "scvi"`,
    );
  // lnmvcp's capture prior (`priors`), checked before training
  const capturePrior =
    modelType === "lnmvcp" ? lnmvcpCapturePrior(modelType, options.priors, "fit (vae)") : null;
  const vopts = resolveVaeOptions(
    logNormal
      ? {
          ...options,
          decoder: options.decoder ?? LOG_NORMAL_DECODER,
          inputTransform: options.inputTransform ?? "log1p_standardize",
        }
      : options,
  );
  const modelOpts: ModelOptions = { nCells: C, nGenes: G };
  for (const k of [
    "parameterization",
    "unconstrained",
    "positiveTransform",
    "priors",
    "amortizeCapture",
    "captureHiddenDims",
  ] as const)
    if (options[k] !== undefined) {
      if (k === "priors" && modelType === "lnmvcp") continue; // the capture prior, read above
      if (logNormal)
        throw new Error(
          `fit (vae, model ${modelType}): option ${k} is an NB model's; the ${modelType} VAE has no such setting`,
        );
      (modelOpts as unknown as Record<string, unknown>)[k] = options[k];
    }
  if (options.rPriorLoc !== undefined && modelType !== "nbln")
    throw new Error(`fit (vae, model ${modelType}): rPriorLoc is NBLN's prior on r; it does not apply here`);
  if (options.nComponents !== undefined && options.nComponents > 1)
    throw new Error("fit (vae): mixtures (nComponents > 1) are not supported by the VAE");
  for (const k of ["guideRank", "guideFlow", "annotationKey", "mixtureParams", "nQuadNodes"] as const)
    if (options[k] !== undefined)
      throw new Error(
        `fit (vae): option ${k} does not apply to VAE inference (the encoder is the guide; no mixtures)`,
      );
  if (options.latentFlow !== undefined && options.latentPrior !== undefined)
    throw new Error("fit (vae): latentFlow and latentPrior are exclusive (latentFlow builds the prior)");
  const latentPrior =
    options.latentFlow !== undefined
      ? flowLatentPrior(options.latentFlow, vopts.latentDim)
      : (options.latentPrior ?? null);
  const seed = options.seed ?? 42;
  // held-out early stopping: decided on the whole data's spec, then the training cells give
  // the statistics of every spec (the held-out cells stay unseen) and the training spec's plate
  // the spec of `nCells` cells (its plate) with the encoder's statistics and μ's start from `rows`
  const specOf = (nCells: number, rows: Float32Array): VaeSpec =>
    logNormal
      ? makeLogNormalVaeSpec(
          logNormal,
          nCells,
          vopts,
          geneStats(rows, rows.length / G, G),
          latentPrior,
          latentStart(logNormal, rows, rows.length / G),
        )
      : makeVaeSpec(
          makeConfig(modelType as ModelType, { ...modelOpts, nCells }),
          vopts,
          geneStats(rows, rows.length / G, G),
          latentPrior,
        );
  let spec = specOf(C, host.data);
  const esSet = options.earlyStopping !== undefined && options.earlyStopping !== false;
  const validation = resolveValidation(options.validation, spec, C, esSet);
  let trainSpec = spec;
  let train = host.data;
  let heldOut: Tensor | null = null;
  if (validation) {
    const split = splitCells(C, validation.fraction, seed);
    const rows = (idx: Int32Array) => {
      const out = new Float32Array(idx.length * G);
      idx.forEach((c, i) => {
        out.set(host.data.subarray(c * G, (c + 1) * G), i * G);
      });
      return out;
    };
    train = rows(split.train);
    heldOut = fromTypedArray(rows(split.heldOut), [split.heldOut.length, G]);
    spec = specOf(C, train);
    trainSpec = specOf(split.train.length, train);
  }
  const clock = new KlAnnealing(vopts.klWarmupSteps);
  const beta = vopts.klWarmupSteps > 0 ? () => clock.betaTensor() : null;
  const model = buildVaeModel(trainSpec, beta);
  const counts = fromTypedArray(train, [train.length / G, G]);
  // the encoder's input once per fit (exact: a per-gene fixed transform), unless the copy would be large
  const precomputed =
    train.length <= MAX_PRECOMPUTED_INPUT ? { counts, input: encoderInput(trainSpec, counts) } : null;
  const guide = buildVaeGuide(trainSpec, beta, precomputed);
  const nSteps = options.nSteps ?? 50_000;
  if (!Number.isInteger(nSteps) || nSteps < 0)
    throw new Error(`fit (vae): nSteps must be a non-negative integer, got ${nSteps}`);
  const batchSize = options.batchSize ?? null;
  const lr = options.learningRate ?? 1e-3;
  const optim = annealOptimizer(options.optimizer ?? new Adam(lr), clock);
  const sviOptions = options.compileStep === undefined ? {} : { compileStep: options.compileStep };
  const svi = new SVI(model, guide, optim, new TraceMeanFieldELBO(), sviOptions);
  let sum = 0;
  for (let i = 0; i < host.data.length; i++) sum += host.data[i]! * ((i % 9973) + 1);
  const { latentPrior: _lp, ...vFp } = { ...vopts, latentPrior: undefined };
  const fp = JSON.stringify({
    vae: vFp,
    latentFlow: options.latentFlow ?? null,
    modelType,
    modelOpts,
    libraryMean: logNormal?.libraryMean ?? null,
    capturePrior,
    shape: host.shape,
    sum,
    seed,
    batchSize,
    lr,
    validation,
  });
  const {
    resumed,
    stepsDone: done0,
    save,
  } = await prepareFitCheckpointing("fit (vae)", options, fp, (st) => svi.optim.dispose(st));
  const es: EarlyStoppingOptions | null =
    options.earlyStopping === true
      ? ({} as EarlyStoppingOptions)
      : options.earlyStopping
        ? (options.earlyStopping as EarlyStoppingOptions)
        : null;
  const checkpointEvery = options.checkpointEvery ?? 2500;
  const chunkOptions = {
    stableUpdate: options.stableUpdate ?? true,
    logEvery: Math.max(1, options.progressEvery ?? 100),
    progressBar: false,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxNonFiniteSteps !== undefined ? { maxNonFiniteSteps: options.maxNonFiniteSteps } : {}),
    ...(options.onProgress
      ? { onProgress: (p: SVIProgress) => options.onProgress!(p.stepsDone, nSteps, p.loss, p) }
      : {}),
  };
  const args: [Tensor, number | null] = [counts, batchSize];
  // the same draws at every held-out check, so checks differ by the params only
  const evalKey = makeKey(seed + 1);
  const run =
    validation && heldOut
      ? await runWithValidation(svi, validation, {
          key: makeKey(seed),
          totalSteps: nSteps,
          args,
          chunkOptions,
          resumed: resumed ? { state: resumed.state, ...resumed.history! } : null,
          save,
          checkpointEvery,
          evaluate: async (params) => {
            const r = new ScribeVAEResults({ spec: trainSpec, params, lossHistory: new Float64Array(0) });
            const mean = scope(() =>
              r.elboByCell(heldOut, evalKey, validation.nDraws, { heldOut: true }).mean(),
            );
            const v = Number(((await mean.data()) as ArrayLike<number>)[0]);
            mean.dispose();
            return v;
          },
        })
      : await svi.run(makeKey(seed), Math.max(0, nSteps - done0), args, {
          ...chunkOptions,
          ...(resumed ? { initState: resumed.state, history: resumed.history! } : {}),
          ...(es ? { earlyStopping: es } : {}),
          ...(save ? { checkpoint: { every: checkpointEvery, save } } : {}),
        });
  precomputed?.input.dispose();
  heldOut?.dispose();
  const params = await toCpu(run.params);
  const results = new ScribeVAEResults({
    spec,
    params,
    lossHistory: run.losses,
    obsNames: host.obsNames,
    varNames: host.varNames,
    meta: {
      seed,
      steps: run.stepsDone,
      batchSize,
      learningRate: lr,
      klWarmupSteps: vopts.klWarmupSteps,
      ...("record" in run && validation
        ? {
            validation: {
              ...validation,
              heldOutCells: C - trainSpec.cfg.nCells,
              bestStep: run.record.bestStep,
              bestElbo: run.record.bestElbo,
            },
          }
        : {}),
      ...(options.latentFlow ? { latentFlow: options.latentFlow } : {}),
      ...(logNormal && composition
        ? { alrReference: logNormal.alrReference, ...compositionTotals(modelType, host, capturePrior) }
        : {}),
    },
    modelOptions: (({ nCells: _c, nGenes: _g, ...rest }) => rest)(modelOpts),
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
