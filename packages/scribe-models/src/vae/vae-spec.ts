/**
 * Everything a VAE model, its guide and its results share: the SCRIBE model configuration,
 * the resolved VAE options, the networks, the encoder's input statistics and which latent
 * sites stay ordinary (global) sites. Built once per fit from the data's per-gene summaries.
 * @module
 */
import { fromTypedArray, log1p, type Tensor } from "@scribe/core";
import { type ModelConfig, makeConfig } from "../models/config.js";
import { latentSiteSpecs, type SiteSpec } from "../models/sites.js";
import type { LogNormalVaeFamily } from "./log-normal-family.js";
import { type VaeNetworks, vaeNetworks } from "./networks.js";
import type { LatentPriorFactory, ResolvedVaeOptions } from "./options.js";

/** The NB models VAE inference supports (SCRIBE VAE: nbdm, zinb, nbvcp, zinbvcp). */
export const VAE_MODELS = ["nbdm", "zinb", "nbvcp", "zinbvcp"] as const;

/** Per-gene summaries of the training data (host arrays, length G). */
export interface GeneStats {
  /** Mean count per gene. */
  readonly mean: Float32Array;
  /** Mean of log1p(count) per gene. */
  readonly logMean: Float32Array;
  /** Standard deviation of log1p(count) per gene. */
  readonly logSd: Float32Array;
}

/** What the model, guide and results of a VAE share. */
export interface VaeSpec {
  /**
   * The NB model's configuration. For a logistic-normal family (`logNormal` set) the nbdm
   * configuration of the same cells × genes, which stands for the shape only (it has no
   * sites in the VAE: `globals` is empty, `cellSite` null).
   */
  readonly cfg: ModelConfig;
  /** The logistic-normal family (pln, nbln, lnm), or null for the NB models. */
  readonly logNormal: LogNormalVaeFamily | null;
  readonly opts: ResolvedVaeOptions;
  readonly nets: VaeNetworks;
  readonly stats: GeneStats;
  /** Whether the decoder also emits gate logits. */
  readonly zeroInflated: boolean;
  /** Global latent sites (p or phi, their hierarchy hyper-sites), in sampling order; none for the scVI form. */
  readonly globals: readonly SiteSpec[];
  /** The per-cell capture site of vcp models (SCRIBE form), or null. */
  readonly cellSite: SiteSpec | null;
  /** The latent prior hook (default N(0, I)). */
  readonly latentPrior: LatentPriorFactory | null;
}

/**
 * Per-gene summaries of a dense host matrix [C, G] (row-major): mean count, mean and
 * standard deviation of log1p(count) (float64 accumulation).
 */
export function geneStats(data: ArrayLike<number>, C: number, G: number): GeneStats {
  const s = new Float64Array(G);
  const l = new Float64Array(G);
  const l2 = new Float64Array(G);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) {
      const v = data[c * G + g]!;
      const lv = Math.log1p(v);
      s[g]! += v;
      l[g]! += lv;
      l2[g]! += lv * lv;
    }
  const mean = new Float32Array(G);
  const logMean = new Float32Array(G);
  const logSd = new Float32Array(G);
  for (let g = 0; g < G; g++) {
    mean[g] = s[g]! / C;
    const m = l[g]! / C;
    logMean[g] = m;
    logSd[g] = Math.sqrt(Math.max(l2[g]! / C - m * m, 0));
  }
  return { mean, logMean, logSd };
}

function softplusInv(y: number): number {
  return y > 20 ? y : Math.log(Math.expm1(y));
}

/**
 * The decoder output layer's initial bias: for the SCRIBE form, softplus⁻¹ of each gene's
 * mean count (floored at 0.01) on the gene head, so the first decoded r (or mu) is of the
 * data's scale; for the scVI form, the log of each gene's share of the mean library (the
 * softmax then starts at the average composition). Gate logits start at −2 (gate ≈ 0.12,
 * near SCRIBE's Beta(1, 9) prior mean 0.1).
 */
export function decoderBias(form: "scribe" | "scvi", stats: GeneStats, heads: 1 | 2): Float32Array {
  const G = stats.mean.length;
  const out = new Float32Array(G * heads);
  let total = 0;
  for (let g = 0; g < G; g++) total += stats.mean[g]!;
  for (let g = 0; g < G; g++) {
    const m = Math.max(stats.mean[g]!, 0.01);
    out[g] = form === "scvi" ? Math.log(m / Math.max(total, 0.01)) : softplusInv(m);
  }
  for (let g = G; g < G * heads; g++) out[g] = -2;
  return out;
}

/**
 * Build the spec of a VAE over a configured NB model. Refused with a clear error: mixtures,
 * the mean_disp parameterization (SCRIBE: SVI/MCMC only), hierarchical priors on the gene
 * parameter or the gate (the decoder replaces those sites), TwoState models, and the scVI
 * form with a vcp model (its library offset plays capture's role).
 */
export function makeVaeSpec(
  cfg: ModelConfig,
  opts: ResolvedVaeOptions,
  stats: GeneStats,
  latentPrior: LatentPriorFactory | null,
): VaeSpec {
  const where = `fit (vae, model ${cfg.modelType})`;
  if (!(VAE_MODELS as readonly string[]).includes(cfg.modelType))
    throw new Error(`${where}: VAE inference supports ${VAE_MODELS.join(", ")}`);
  if (cfg.nComponents > 1)
    throw new Error(`${where}: mixtures (nComponents > 1) are not supported by the VAE`);
  if (cfg.parameterization === "mean_disp")
    throw new Error(
      `${where}: the mean_disp parameterization is SVI/MCMC only (as in SCRIBE); use canonical, mean_prob or mean_odds`,
    );
  if (cfg.priors.hierarchy.expression || cfg.priors.hierarchy.gate)
    throw new Error(
      `${where}: hierarchical priors on the gene parameter or the gate do not apply (the decoder emits them)`,
    );
  if (cfg.guideRank !== null)
    throw new Error(`${where}: guideRank does not apply to the VAE (the encoder is its guide)`);
  if (opts.decoderForm === "scvi" && cfg.variableCapture)
    throw new Error(
      `${where}: decoderForm "scvi" takes the library size as an observed offset in place of capture; use nbdm or zinb`,
    );
  const zi = cfg.zeroInflated;
  const decoded = new Set<string>([cfg.geneParam, "gate"]);
  const sites = latentSiteSpecs(cfg);
  const globals = opts.decoderForm === "scvi" ? [] : sites.filter((s) => !s.cell && !decoded.has(s.name));
  const cellSite = opts.decoderForm === "scvi" ? null : (sites.find((s) => s.cell) ?? null);
  const heads = zi ? 2 : 1;
  const nets = vaeNetworks(
    cfg.nGenes,
    opts.latentDim,
    opts.encoder,
    opts.decoder,
    opts.activation,
    heads,
    decoderBias(opts.decoderForm, stats, heads),
  );
  return { cfg, logNormal: null, opts, nets, stats, zeroInflated: zi, globals, cellSite, latentPrior };
}

/**
 * Build the spec of a VAE over a logistic-normal family (`log-normal-family.ts`) for `nCells`
 * cells. `decoderStart` is the decoder output layer's initial bias (the start of μ, one value
 * per latent coordinate; zeros when null, e.g. for results rebuilt from their params).
 * Refused with a clear error: the scVI decoder form (an NB likelihood of its own).
 */
export function makeLogNormalVaeSpec(
  family: LogNormalVaeFamily,
  nCells: number,
  opts: ResolvedVaeOptions,
  stats: GeneStats,
  latentPrior: LatentPriorFactory | null,
  decoderStart: Float32Array | null,
): VaeSpec {
  if (opts.decoderForm === "scvi")
    throw new Error(
      `fit (vae, model ${family.model}): decoderForm "scvi" is an NB likelihood; the ${family.model} VAE decodes to its own latent Gaussian (use the default decoderForm)`,
    );
  const G = family.nGenes;
  const nets = vaeNetworks(
    G,
    opts.latentDim,
    opts.encoder,
    opts.decoder,
    opts.activation,
    1,
    decoderStart ?? new Float32Array(family.dim),
    family.dim,
  );
  return {
    cfg: makeConfig("nbdm", { nCells, nGenes: G }),
    logNormal: family,
    opts,
    nets,
    stats,
    zeroInflated: false,
    globals: [],
    cellSite: null,
    latentPrior,
  };
}

/** The encoder's input for counts [B, G]: log1p, standardised per gene with the training data's statistics when asked. */
export function encoderInput(spec: VaeSpec, counts: Tensor): Tensor {
  const x = log1p(counts);
  if (spec.opts.inputTransform !== "log1p_standardize") return x;
  const G = spec.cfg.nGenes;
  const center = fromTypedArray(spec.stats.logMean, [G]);
  // genes constant in the training data keep unit scale (no division by 0)
  const sd = Float32Array.from(spec.stats.logSd, (v) => (v > 1e-6 ? v : 1));
  return x.sub(center).div(fromTypedArray(sd, [G]));
}
