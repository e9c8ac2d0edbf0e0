/**
 * `scribe fit --inference-method vae` (SCRIBE VAE, `scribe-infer`'s `inference=vae`): the VAE
 * options of the command line (`--latent-dim`, `--encoder-hidden`, `--decoder-hidden`,
 * `--kl-warmup`, `--latent-flow`) and the outputs of a VAE run: `params.json` (the fitted networks and factors,
 * `ScribeVAEResults.toJSONAsync`, reloadable with `ScribeVAEResults.fromJSON`) and
 * `results.h5ad` with the latent embedding in `obsm["X_scribe_vae"]` (per-cell means of
 * q(z | x)), the per-gene reconstruction means in `var`, the per-cell plug-in log-likelihood
 * in `obs` and the run in `uns["scribe"]`. The NB models and the logistic-normal ones (pln,
 * nbln, lnm: vae/log-normal-family.ts) write the same outputs; only the run's description in
 * `uns` differs (an NB parameterization, or the count family). Training, checkpoints, `--resume` and interrupts are
 * the SVI path's (cli/fit.ts calls `fit()`, which dispatches to the VAE).
 *
 * Node-only.
 * @module
 */
import { rmSync } from "node:fs";
import type { FlowKind } from "@scribe/infer";
import type { FitOutcome } from "../fit.js";
import { prepareCounts } from "../fit.js";
import type { AnnData, UnsValue } from "../io/anndata.js";
import { prepareH5ad } from "../io/h5ad.js";
import { commitAll, prepareFileAtomic, textWriter } from "../persist/atomic-file-node.js";
import type { VaeFitOutcome } from "../vae/fit-vae.js";
import type { VaeValidationOptions } from "../vae/held-out.js";
import { isLogNormalVaeModel, type LogNormalVaeModel } from "../vae/log-normal-family.js";
import type { VaeOptions } from "../vae/options.js";
import { ScribeVAEResults } from "../vae/vae-results.js";
import { refuseNonFiniteResults } from "./finite-results.js";
import { optionSpec, type Settings, setting } from "./fit-options.js";
import { type CliIO, EXIT_OK, UsageError } from "./util.js";

/** The obsm key of the latent embedding in `results.h5ad`. */
export const VAE_EMBEDDING_KEY = "X_scribe_vae";

/** A list of layer sizes from a flag ("128,64") or a config value ([128, 64]); errors name the option. */
export function hiddenSizes(value: unknown, where: string): number[] {
  const parts = typeof value === "string" ? value.split(",").map((x) => x.trim()) : value;
  const list = Array.isArray(parts)
    ? parts.map((x) => (typeof x === "string" && x !== "" ? Number(x) : x))
    : null;
  if (!list || list.length === 0 || !list.every((x) => typeof x === "number" && Number.isInteger(x) && x > 0))
    throw new UsageError(
      `${where} must be positive integers separated by commas (e.g. 128,64), got ${JSON.stringify(value)}`,
    );
  return list as number[];
}

/** Config keys of a `validation` mapping → the fields of `VaeValidationOptions`. */
const VALIDATION_KEYS: Readonly<Record<string, keyof VaeValidationOptions>> = {
  fraction: "fraction",
  every: "every",
  patience: "patience",
  n_draws: "nDraws",
  min_delta: "minDelta",
};

/**
 * The `validation` option of a VAE fit (held-out early stopping, vae/held-out.ts) from
 * `--validation on|off` or config `inference.vae.validation` (also true/false, or a mapping of
 * the settings in snake_case); `where` names the origin in errors. The ranges of the settings
 * are checked by `fit()`, whose message names them.
 * @example
 * validationOption("off", "--validation"); // false
 * validationOption({ patience: 200 }, "inference.vae.validation"); // { patience: 200 }
 */
export function validationOption(value: unknown, where: string): boolean | VaeValidationOptions {
  if (value === true || value === "on" || value === "true") return true;
  if (value === false || value === "off" || value === "false") return false;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const out: VaeValidationOptions = {};
    for (const [k, v] of Object.entries(value)) {
      if (!Object.hasOwn(VALIDATION_KEYS, k))
        throw new UsageError(
          `${where}: unknown setting ${k}; expected ${Object.keys(VALIDATION_KEYS).join(", ")}`,
        );
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new UsageError(`${where}.${k} must be a number, got ${JSON.stringify(v)}`);
      out[VALIDATION_KEYS[k]!] = v;
    }
    return out;
  }
  throw new UsageError(
    `${where} must be on or off (a config file may also give a mapping of ${Object.keys(VALIDATION_KEYS).join(", ")}), got ${JSON.stringify(value)}`,
  );
}

/**
 * The logistic-normal model of a VAE run (`--model pln|nbln|lnm|lnmvcp --inference-method vae`), or
 * null for any other model or method. These models have no zero-inflated or variable-capture
 * variant in the VAE: either switch turned on is an error naming it.
 * @example
 * logNormalVaeModelOf("vae", "pln", undefined, undefined); // "pln"
 */
export function logNormalVaeModelOf(
  method: string,
  model: unknown,
  zeroInflation: unknown,
  variableCapture: unknown,
): LogNormalVaeModel | null {
  if (method !== "vae" || !isLogNormalVaeModel(model)) return null;
  if (zeroInflation === true)
    throw new UsageError(
      `--model ${model} --inference-method vae: --zero-inflation does not apply (no zero inflation)`,
    );
  if (variableCapture === true)
    throw new UsageError(
      `--model ${model} --inference-method vae: --variable-capture does not apply (LNM with capture is --model lnmvcp)`,
    );
  return model;
}

/**
 * The decoder's hidden layers of a VAE run. The logistic-normal models default to their
 * linear decoder (x = μ + W z, vae/log-normal-family.ts), so for them the layers are passed
 * only when they differ from the command's NB default (a config stating every default then
 * fits as no config); null: leave the decoder to `fit()`.
 */
function decoderOption(s: Settings, logNormal: boolean): number[] | null {
  const key = "inference.vae.decoder_hidden";
  const layers = hiddenSizes(setting(s, key), "--decoder-hidden");
  if (logNormal && JSON.stringify(layers) === JSON.stringify(optionSpec(key)?.dflt)) return null;
  return layers;
}

/**
 * The `fit()` options of a VAE run from the command's settings (defaults: SCRIBE's `fit()` defaults);
 * `logNormal`: the model is pln, nbln or lnm (see {@link decoderOption}).
 * @example
 * vaeFitOptions({ "inference.vae.latent_dim": 2 }).latentDim; // 2
 */
export function vaeFitOptions(
  s: Settings,
  validationOrigin = "--validation",
  logNormal = false,
): VaeOptions & { inferenceMethod: "vae" } {
  if (setting<boolean>(s, "output.plots"))
    throw new UsageError("--plots: the default plots are for svi and mcmc results; not available for vae");
  const decoder = decoderOption(s, logNormal);
  return {
    inferenceMethod: "vae",
    latentDim: setting<number>(s, "inference.vae.latent_dim"),
    encoder: hiddenSizes(setting(s, "inference.vae.encoder_hidden"), "--encoder-hidden"),
    ...(decoder ? { decoder } : {}),
    klWarmupSteps: setting<number>(s, "inference.vae.kl_warmup"),
    ...(s["inference.vae.latent_flow"] !== undefined
      ? { latentFlow: s["inference.vae.latent_flow"] as FlowKind }
      : {}),
    ...(s["inference.vae.validation"] !== undefined
      ? { validation: validationOption(s["inference.vae.validation"], validationOrigin) }
      : {}),
  };
}

/** Whether a fit outcome is a VAE's. */
export function isVaeOutcome(o: FitOutcome | VaeFitOutcome): o is VaeFitOutcome {
  return o.results instanceof ScribeVAEResults;
}

/** What {@link writeVaeRun} needs from the command. */
export interface VaeRunContext {
  readonly outcome: VaeFitOutcome;
  readonly adata: AnnData;
  readonly layer: string | undefined;
  readonly outDir: string;
  readonly outputs: { readonly params: string; readonly h5ad: string };
  readonly checkpoint: string;
  readonly dataPath: string;
  readonly seed: number;
  readonly filterSteps?: readonly string[] | undefined;
}

async function numbers(t: { data(): Promise<ArrayLike<number>> }): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

/**
 * The annotated data of a VAE fit: the embedding in obsm, reconstruction means in var,
 * plug-in log-likelihoods in obs, the run in uns.
 */
export async function annotateVae(
  adata: AnnData,
  outcome: VaeFitOutcome,
  extraUns: Record<string, UnsValue>,
  layer?: string,
): Promise<AnnData> {
  const res = outcome.results;
  const { counts } = prepareCounts(adata, layer);
  const C = counts.shape[0]!;
  const K = res.spec.opts.latentDim;
  const emb = await res.getLatentEmbedding(counts).data();
  // the logistic-normal models have no NB parameterization (their spec's cfg is a placeholder):
  // their count family (poisson, negative-binomial, multinomial-alr) and LNM's ALR reference
  const family = res.spec.logNormal;
  const uns: Record<string, UnsValue> = {
    model: res.modelType,
    ...(family
      ? {
          family: family.obs.name,
          ...(family.alrReference >= 0 ? { alr_reference: family.alrReference } : {}),
        }
      : { parameterization: res.spec.cfg.parameterization, unconstrained: res.spec.cfg.unconstrained }),
    inference_method: "vae",
    n_cells: C,
    n_genes: res.spec.cfg.nGenes,
    latent_dim: K,
    encoder: [...res.spec.opts.encoder],
    decoder: [...res.spec.opts.decoder],
    kl_warmup: res.spec.opts.klWarmupSteps,
    latent_prior: typeof res.meta.latentFlow === "string" ? `flow:${res.meta.latentFlow}` : "normal",
    decoder_form: res.spec.opts.decoderForm,
    embedding: VAE_EMBEDDING_KEY,
    loss_history: Float64Array.from(res.lossHistory),
    steps: outcome.steps,
    early_stopped: outcome.earlyStopped,
  };
  for (const [name, v] of Object.entries(res.globalValues()))
    if (v.size <= 64) uns[`${name}_point`] = await numbers(v);
  for (const [k, v] of Object.entries(extraUns)) uns[k] = v;
  return {
    ...adata,
    obs: {
      index: adata.obs.index,
      columns: {
        ...adata.obs.columns,
        scribe_log_likelihood: await numbers(res.logLikelihoodByCell(counts)),
      },
    },
    var: {
      index: adata.var.index,
      columns: {
        ...adata.var.columns,
        scribe_reconstructed_mean: await numbers(res.getReconstructedGeneMeans(counts)),
      },
    },
    obsm: {
      ...(adata.obsm ?? {}),
      [VAE_EMBEDDING_KEY]: {
        format: "dense",
        data: Float32Array.from(emb as ArrayLike<number>),
        shape: [C, K],
      },
    },
    uns: { ...adata.uns, scribe: uns },
  };
}

/** Write `params.json` and `results.h5ad` of a finished VAE run (both verified before either replaces an older one). */
export async function writeVaeRun(io: CliIO, ctx: VaeRunContext): Promise<number> {
  const res = ctx.outcome.results;
  const annotated = await annotateVae(
    ctx.adata,
    ctx.outcome,
    {
      seed: ctx.seed,
      data: ctx.dataPath,
      ...(ctx.filterSteps?.length ? { preprocessing: [...ctx.filterSteps] } : {}),
    },
    ctx.layer,
  );
  refuseNonFiniteResults(annotated, "results.h5ad");
  const json = JSON.stringify(await res.toJSONAsync());
  await commitAll([
    () => prepareFileAtomic(ctx.outputs.params, textWriter(json)),
    () => prepareH5ad(ctx.outputs.h5ad, annotated),
  ]);
  rmSync(ctx.checkpoint, { force: true });
  const last = res.lossHistory.length ? res.lossHistory[res.lossHistory.length - 1]! : Number.NaN;
  io.stdout(
    `${JSON.stringify({ out: ctx.outDir, steps: ctx.outcome.steps, final_loss: last, params: ctx.outputs.params, h5ad: ctx.outputs.h5ad, embedding: VAE_EMBEDDING_KEY })}\n`,
  );
  return EXIT_OK;
}
