/**
 * One interface for model families (issue 16 item 0): everything that differs between the NB
 * family and the TwoState (Poisson–Beta) family — which core parameters are per gene, the
 * deterministic sites and the parameters the likelihood needs, the likelihood itself, the
 * derived parameters of draws, log-likelihoods, predictive draws, denoising and data-driven
 * fit preparation — is one method here, implemented once per family (`nb.ts`,
 * `two-state.ts`) and reached through `familyOf(cfg)` (`registry.ts`). The latent sites
 * themselves are data shared by all families (`models/sites.ts`), and so are the guide's
 * parameter names (`guideParamSites`, from `guides/`), which every family exposes.
 * @module
 */
import type { Key, Tensor } from "@scribe/core";
import type { Distribution } from "@scribe/distributions";
import type { LogLikelihoodOptions } from "../likelihood/nb-family.js";
import type { CoreParam, ModelConfig, ModelOptions, ModelType } from "../models/config.js";
import type { CaptureValue } from "../models/observation.js";
import type { SiteSpec } from "../models/sites.js";
import type { DenoiseMethod, DenoiseResult } from "../results/denoise-nb.js";
import type { FamilyTraits } from "./traits.js";

/** The parameters of the likelihood on the [K|1, G] grid, as the family's `likelihoodParams` returns them. */
export type FamilyGrid = Readonly<Record<string, Tensor | undefined>>;

/** A model family. */
export interface ModelFamily {
  /** Static facts (model types, supported options). */
  readonly traits: FamilyTraits;
  /** Whether sampled core parameter `name` carries a gene axis. */
  isGeneLevel(cfg: ModelConfig, name: CoreParam): boolean;
  /**
   * Inside the model, after the global sites: emit the family's deterministic sites (derived
   * parameters at gene rank) and return the likelihood's parameters on the grid.
   */
  modelSites(cfg: ModelConfig, values: Readonly<Record<string, Tensor>>): FamilyGrid;
  /**
   * With a multi-dataset design (`models/datasets.ts`): the likelihood's parameters for cells
   * whose datasets are `cellDatasets` [B], with a leading cell axis (families without dataset
   * support leave it out; `makeConfig` refuses datasets for them).
   */
  cellGrid?(cfg: ModelConfig, values: Readonly<Record<string, Tensor>>, cellDatasets: Tensor): FamilyGrid;
  /** Per-gene likelihood of a minibatch, batch shape [B?, K?, G], before `toEvent(1)`. */
  componentDistribution(cfg: ModelConfig, grid: FamilyGrid, capture: CaptureValue | null): Distribution;
  /** The derived parameters of latent values with `lead` leading (sample) axes, natural shapes. */
  derived(cfg: ModelConfig, latent: Readonly<Record<string, Tensor>>, lead: number): Record<string, Tensor>;
  /** Log-likelihood of one parameter draw: [C] or [G] (or [·, K] with splitComponents). */
  drawLogLikelihood(
    cfg: ModelConfig,
    counts: Tensor,
    draw: Readonly<Record<string, Tensor>>,
    opts: LogLikelihoodOptions,
  ): Tensor;
  /** One predictive count matrix [C, G] from one draw (capture and gate stripped with `biological`). */
  predictiveDraw(
    cfg: ModelConfig,
    draw: Readonly<Record<string, Tensor>>,
    k: Key,
    biological: boolean,
  ): Tensor;
  /** Denoised counts and posterior variances [C, G] of one draw; `pick`: component index, per-cell indices, or null. */
  denoiseCells(
    cfg: ModelConfig,
    counts: Tensor,
    draw: Readonly<Record<string, Tensor>>,
    pick: Tensor | number | null,
    methods: [DenoiseMethod, DenoiseMethod],
    k: Key,
  ): DenoiseResult;
  /** Data-driven model options set before a fit (TwoState: the mu prior anchor); mutates `opts` (reads the counts once, asynchronously). */
  prepareFit(modelType: ModelType, opts: ModelOptions, cpuCounts: Tensor): Promise<void> | void;
  /** Guide parameter name → the latent site it belongs to (network weights are absent). */
  guideParamSites(cfg: ModelConfig): Map<string, SiteSpec>;
  /** Names of the deterministic sites the model emits (summaries, CLI columns). */
  deterministicNames(cfg: ModelConfig): string[];
}
