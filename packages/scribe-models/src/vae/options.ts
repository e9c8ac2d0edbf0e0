/**
 * The options of VAE inference (`fit(counts, { inferenceMethod: "vae", ... })`, SCRIBE VAE and
 * `fit()` defaults) and their defaults: latent dimension 10, encoder [128, 64], decoder
 * [64, 128], ReLU, log1p inputs, KL annealing β from 0 to 1 over 2000 steps, and (where it
 * applies, from 100 cells) early stopping on the ELBO of 10 % held-out cells (`held-out.ts`).
 * @module
 */
import type { Distribution } from "@scribe/distributions";
import type { FlowKind } from "@scribe/infer";
import type { FitOptions } from "../fit.js";
import type { LogOffsetOption } from "../laplace/log-offset.js";
import type { VaeValidationOptions } from "./held-out.js";
import type { LogNormalVaeModel } from "./log-normal-family.js";

/** How the encoder sees a cell's counts: log1p (default), optionally standardised per gene. */
export type VaeInputTransform = "log1p" | "log1p_standardize";

/**
 * The decoder's output form.
 * - `"scribe"` (default): SCRIBE's VAE. The decoder emits the gene parameter of each cell
 *   (r for canonical, mu for mean_prob / mean_odds) through softplus, and for the
 *   zero-inflated models the gate (as logits, i.e. through a sigmoid); p (or phi) stays a
 *   global latent and vcp models keep SCRIBE's per-cell capture probability.
 * - `"scvi"`: scVI's decoder (the seed on NB modelling, "stable log-space version"): the
 *   cell's library size ℓ_c = Σ_g u_cg is an observed offset, log mean = log ℓ_c + h −
 *   logsumexp(h) (softmax times library, in log space), a per-gene log-dispersion param,
 *   and `NegativeBinomialLogits(θ, log mean − log θ)`. The library offset takes the place of
 *   capture, so only nbdm and zinb accept it.
 */
export type DecoderForm = "scribe" | "scvi";

/**
 * A prior over the latent codes of a minibatch: called inside the model for `batch` cells of
 * dimension `latentDim`, it returns a distribution with batch shape [batch] and event shape
 * [latentDim]. It may register parameters (`param`, `module`), so a normalizing flow prior
 * plugs in here; the default is N(0, I).
 */
export type LatentPriorFactory = (batch: number, latentDim: number) => Distribution;

/** Options of VAE inference, on top of {@link FitOptions}. */
export interface VaeOptions {
  /** Dimension of the latent code (default 10). */
  latentDim?: number;
  /** Hidden layer sizes of the encoder (default [128, 64]). */
  encoder?: readonly number[];
  /** Hidden layer sizes of the decoder (default [64, 128]). */
  decoder?: readonly number[];
  /** Hidden activation of both networks, by `nn.activations` name (default "relu"). */
  activation?: string;
  /** Encoder input transform (default "log1p"). */
  inputTransform?: VaeInputTransform;
  /** Steps over which the KL weight β rises linearly from 0 to 1 (default 2000; 0 turns annealing off). */
  klWarmupSteps?: number;
  /** Decoder form (default "scribe"). */
  decoderForm?: DecoderForm;
  /** Latent prior (default N(0, I)); the hook for flow priors. */
  latentPrior?: LatentPriorFactory;
  /**
   * A normalizing-flow latent prior of this kind (SCRIBE `vae_flow_type`; `latent-flow-prior.ts`,
   * 4 layers, hidden [64, 64]); exclusive with `latentPrior`.
   */
  latentFlow?: FlowKind;
  /**
   * Early stopping on the ELBO of held-out cells (`held-out.ts`): unset, on where the held-out
   * ELBO is defined and there are ≥ 100 cells (the rule is in that module); `true` or options
   * ask for it (refused, with the reason, where it cannot run); `false` trains on every cell.
   */
  validation?: boolean | VaeValidationOptions;
}

/** Options of `fit` with `inferenceMethod: "vae"`. */
export interface VaeFitOptions extends Omit<FitOptions, "inferenceMethod" | "model">, VaeOptions {
  inferenceMethod: "vae";
  /**
   * nbdm, zinb, nbvcp (default), zinbvcp, or a logistic-normal family: pln, nbln, lnm,
   * lnmvcp (`log-normal-family.ts`; their defaults: the linear decoder μ + W z, `decoder: []`,
   * and the standardised log1p input, as SCRIBE's). lnmvcp's capture prior is `priors`
   * (`{ organism }` or `{ capture_efficiency: [log M₀, σ_M] }`, as Laplace-EM's; default the
   * flat Beta(1, 1)).
   */
  model?: FitOptions["model"] | LogNormalVaeModel;
  /** NBLN: loc of the LogNormal(loc, 1) prior on the gene dispersions r (default 0). */
  rPriorLoc?: number;
  /**
   * PLN/NBLN: "log-library" adds each cell's log(N_c / N̄) to its log rate
   * (`laplace/log-offset.ts`); default none. Per-cell arrays are Laplace-EM's only: the VAE's
   * results score any cells, so its offset must come from the counts themselves.
   */
  logOffset?: LogOffsetOption;
}

/** The VAE options with defaults applied (the latent prior stays optional). */
export interface ResolvedVaeOptions {
  readonly latentDim: number;
  readonly encoder: readonly number[];
  readonly decoder: readonly number[];
  readonly activation: string;
  readonly inputTransform: VaeInputTransform;
  readonly klWarmupSteps: number;
  readonly decoderForm: DecoderForm;
}

/** SCRIBE's VAE defaults (SCRIBE VAE, `fit()` defaults). */
export const VAE_DEFAULTS: ResolvedVaeOptions = {
  latentDim: 10,
  encoder: [128, 64],
  decoder: [64, 128],
  activation: "relu",
  inputTransform: "log1p",
  klWarmupSteps: 2000,
  decoderForm: "scribe",
};

function checkSizes(name: string, xs: readonly number[]): void {
  if (!Array.isArray(xs) || xs.some((x) => !Number.isInteger(x) || x < 1))
    throw new Error(`fit (vae): ${name} must be a list of positive integers, got ${JSON.stringify(xs)}`);
}

/**
 * Apply the defaults and check the values; errors name the option.
 * @example
 * resolveVaeOptions({ latentDim: 2 }).encoder; // [128, 64]
 */
export function resolveVaeOptions(o: VaeOptions): ResolvedVaeOptions {
  const r: ResolvedVaeOptions = {
    latentDim: o.latentDim ?? VAE_DEFAULTS.latentDim,
    encoder: o.encoder ?? VAE_DEFAULTS.encoder,
    decoder: o.decoder ?? VAE_DEFAULTS.decoder,
    activation: o.activation ?? VAE_DEFAULTS.activation,
    inputTransform: o.inputTransform ?? VAE_DEFAULTS.inputTransform,
    klWarmupSteps: o.klWarmupSteps ?? VAE_DEFAULTS.klWarmupSteps,
    decoderForm: o.decoderForm ?? VAE_DEFAULTS.decoderForm,
  };
  if (!Number.isInteger(r.latentDim) || r.latentDim < 1)
    throw new Error(`fit (vae): latentDim must be a positive integer, got ${r.latentDim}`);
  checkSizes("encoder", r.encoder);
  checkSizes("decoder", r.decoder);
  if (!Number.isInteger(r.klWarmupSteps) || r.klWarmupSteps < 0)
    throw new Error(`fit (vae): klWarmupSteps must be a non-negative integer, got ${r.klWarmupSteps}`);
  if (r.inputTransform !== "log1p" && r.inputTransform !== "log1p_standardize")
    throw new Error(
      `fit (vae): inputTransform must be "log1p" or "log1p_standardize", got ${JSON.stringify(r.inputTransform)}`,
    );
  if (r.decoderForm !== "scribe" && r.decoderForm !== "scvi")
    throw new Error(
      `fit (vae): decoderForm must be "scribe" or "scvi", got ${JSON.stringify(r.decoderForm)}`,
    );
  return r;
}
