/**
 * Model configuration: the model family, the parameterization (with SCRIBE's aliases),
 * constrained vs unconstrained mode, mixtures and the resolved priors. Everything a model
 * and its guide need is in a plain {@link ModelConfig} object, built by {@link makeConfig}.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { FlowKind } from "@scribe/infer";
import {
  FAMILY_TRAITS,
  type FamilyName,
  type FamilyTraits,
  familyNameOfModel,
  familyNameOfParameterization,
} from "../families/traits.js";
import type { GuideFlowOptions } from "../guides/flow-guide.js";
import {
  type DatasetConfig,
  type DatasetOptions,
  type ProbDatasetMode,
  resolveDatasets,
} from "./datasets.js";
import { type PriorsInput, type ResolvedPriors, resolvePriors } from "./priors.js";
import type { TransformName } from "./transformed-normal.js";

/**
 * Default quadrature nodes of the TwoState likelihood. Upstream SCRIBE uses 256 plain
 * Gauss–Legendre nodes on [0, 1], which are off by up to 5e-3 in log-pmf when α or β < 1 (SCRIBE
 * two-state models); PoissonBeta's piecewise rule reaches float32 precision (worst 6.8e-6 relative
 * over the mpmath grid α, β ∈ [0.05, 50], λ ≤ 1e3) at 128 nodes, at half the cost of 256.
 */
export const TWO_STATE_DEFAULT_NODES = 128;

/** The NB-family models (SCRIBE models nbdm, zinb, nbvcp, zinbvcp). */
export type NbModelType = "nbdm" | "zinb" | "nbvcp" | "zinbvcp";
/** The two-state promoter (Poisson–Beta) models (SCRIBE two-state models). */
export type TwoStateModelType = "twostate" | "twostatevcp";
/** All model families. */
export type ModelType = NbModelType | TwoStateModelType;
/** The NB parameterizations (SCRIBE NB parameterizations). */
export type NbParameterization = "canonical" | "mean_prob" | "mean_odds" | "mean_disp";
/** The TwoState parameterizations (SCRIBE two-state models). */
export type TwoStateParameterization =
  | "two_state_natural"
  | "two_state_ratio"
  | "two_state_mean_fano"
  | "two_state_moment_delta";
/** All parameterizations. */
export type Parameterization = NbParameterization | TwoStateParameterization;
/** Parameterization names accepted on input, SCRIBE's aliases included. */
export type ParameterizationInput =
  | Parameterization
  | "standard"
  | "linked"
  | "odds_ratio"
  | "natural"
  | "ratio"
  | "mean_fano"
  | "fano"
  | "moment_delta"
  | "delta";
/** An NB-family core parameter (sampled or derived). */
export type NbParam = "p" | "r" | "mu" | "phi" | "gate";
/** The per-gene extras of the TwoState parameterizations (SCRIBE two-state models). */
export type TwoStateParam =
  | "burst_size"
  | "k_off"
  | "switching_ratio"
  | "excess_fano"
  | "concentration"
  | "inv_concentration";
/** A core parameter that can be sampled. */
export type CoreParam = NbParam | TwoStateParam;
/** Which params get a leading component axis in a mixture (SCRIBE mixtures). */
export type MixtureParamsInput = "all" | "biological" | "mean" | "prob" | "gate" | readonly CoreParam[];

/** Options shared by every preset (all optional). */
export interface ModelOptions {
  /** Number of cells (required to build a model). */
  nCells: number;
  /** Number of genes (required to build a model). */
  nGenes: number;
  /** Parameterization (default "canonical"; aliases standard, linked, odds_ratio). */
  parameterization?: ParameterizationInput;
  /** Use Normal + transform priors and guides (default false). */
  unconstrained?: boolean;
  /** Positive transform: "softplus" (default) or "exp", globally or per parameter. */
  positiveTransform?: "softplus" | "exp" | Partial<Record<string, "softplus" | "exp">>;
  /** Number of mixture components (undefined or 1: no mixture). */
  nComponents?: number;
  /** Which params are per component (default "all"). */
  mixtureParams?: MixtureParamsInput;
  /** The unified priors option (SCRIBE `priors` option). */
  priors?: PriorsInput;
  /**
   * "bnb": beta negative binomial observations with a per-gene excess-dispersion fraction ω_g
   * (SCRIBE BNB overdispersion, NB-family models only); its prior is `priors.overdispersion`
   * ("horseshoe" by default, "gaussian", "neg"). Default "none".
   */
  overdispersion?: "none" | "bnb";
  /** Low-rank guide on the gene parameter (SCRIBE guides); with `jointParams`, the rank of the joint factor. */
  guideRank?: number;
  /**
   * Joint guide over several core parameters (SCRIBE `joint_params`; see `guides/joint.ts`):
   * their list, or "biological" for the parameterization's sampled core parameters (e.g. p and
   * r for canonical). Needs LogNormal or Normal+transform priors (unconstrained: true where a
   * Beta or BetaPrime prior would apply) and flat priors (no gene-level hierarchy on them).
   */
  jointParams?: "biological" | readonly CoreParam[];
  /**
   * Gene-level joint parameters that share the low-rank factor (SCRIBE `dense_params`; needs
   * `guideRank`). Default: every gene-level joint parameter when `guideRank` is set, none
   * otherwise (per-gene linear coupling only).
   */
  denseParams?: readonly CoreParam[];
  /**
   * Normalizing-flow guide on each gene-level parameter (SCRIBE `guide_flow`,
   * `guides/flow-guide.ts`): "spline_coupling" | "affine_coupling" | "maf" | "iaf". Exclusive
   * with `guideRank` and `jointParams`. Mixture parameters [K, G] get a batched flow (layers
   * shared by the components).
   */
  guideFlow?: FlowKind;
  /**
   * Settings of the flow guide (default 4 layers, hidden [64, 64], 8 spline bins;
   * `independent: false`: one joint flow across the core parameters; in a mixture across each
   * component's own parameters, batched over the components).
   */
  guideFlowOptions?: GuideFlowOptions;
  /** Amortized capture guide (flat capture prior only). */
  amortizeCapture?: boolean;
  /** Hidden layer sizes of the capture amortizer (default [64, 32]). */
  captureHiddenDims?: number[];
  /** Per-cell annotation logits [nCells, K] (SCRIBE annotation priors); see `annotationLogits()`. */
  annotationLogits?: Tensor;
  /** Starting log-scale values of the gene parameter per component [K, G] (see mixture-init.ts). */
  componentGeneLoc?: Tensor;
  /**
   * TwoState: quadrature nodes per element of the Poisson–Beta log-pmf (SCRIBE two-state models
   * `n_quad_nodes`; default {@link TWO_STATE_DEFAULT_NODES}, at least 6). Rejected for
   * NB-family models.
   */
  nQuadNodes?: number;
  /**
   * TwoState: per-gene prior location of mu in the transform's inverse space (log for LogNormal
   * or exp, softplus⁻¹ for softplus), [G]. `fit()` sets it from the data (SCRIBE two-state models data-driven
   * anchor, see `twoStateMuPriorLoc`); replaces the scalar loc of the mu prior and is where the
   * mu guide starts.
   */
  muPriorLoc?: readonly number[];
  /**
   * Mean anchoring (SCRIBE mean anchoring, `expression_anchor`; see `expression-anchor.ts`): the
   * prior of mu (or, with a gene-level expression hierarchy, its population location) is
   * centred per gene at the data's log mean expression, with scale `expressionAnchorSigma`.
   * The canonical parameterization samples r, not mu: since mu = r·p/(1−p), log r = log mu −
   * logit p, so r's prior (or its population location) is centred at the mu centre minus the
   * prior centre of logit p (the flat prior's location, 0 under a p hierarchy), which puts the
   * prior median of log mu at the data's centre, with spread √(σ² + σ_p²) (`models/sites.ts`).
   * Forces `unconstrained: true`; VCP models need a capture anchor (`priors.organism` or
   * `priors.capture_efficiency`). `fit()` computes the centres from the counts.
   */
  expressionAnchor?: boolean;
  /**
   * Multi-dataset design (SCRIBE multi-dataset designs, `dataset_key` etc.; see `datasets.ts`): the dataset
   * of each cell, [nCells] (`fit()` fills it from `datasetKey`). Needs `unconstrained: true`.
   */
  datasetIndices?: ArrayLike<number>;
  /** Number of datasets (default: the largest index + 1). */
  nDatasets?: number;
  /** Parameters with a value per dataset (default: the gene parameter r or mu; or "biological", "mean", "prob", "gate"). */
  datasetParams?: DatasetOptions["datasetParams"];
  /** Per-dataset mixing weights (D, K) for mixtures (default true with a mixture). */
  datasetMixing?: boolean;
  /** p/phi as a dataset parameter: "scalar", "gene_specific" (default) or "two_level". */
  probDatasetMode?: ProbDatasetMode;
  /** Crossed factors whose level combinations are the datasets (`fit()` fills it from a list `datasetKey`). */
  datasetFactors?: DatasetOptions["datasetFactors"];
  /** σ of the anchored prior (default 0.3, SCRIBE's). */
  expressionAnchorSigma?: number;
  /** The anchor centres log((ū_g + 1e−3)/ν̄), [G] (set by `fit()`; see `expressionAnchorLoc()`). */
  expressionAnchorLoc?: readonly number[];
}

/** A fully resolved configuration. */
export interface ModelConfig {
  readonly modelType: ModelType;
  readonly parameterization: Parameterization;
  readonly unconstrained: boolean;
  readonly nCells: number;
  readonly nGenes: number;
  /** Number of components (1 = no mixture). */
  readonly nComponents: number;
  /** Params carrying a component axis. */
  readonly mixtureParams: readonly CoreParam[];
  readonly zeroInflated: boolean;
  readonly variableCapture: boolean;
  /** The sampled core params (e.g. ["p", "r"] for canonical, ["mu", "burst_size", "k_off"] for two_state_natural). */
  readonly sampledCore: readonly CoreParam[];
  /** The gene-level param (r for canonical, mu otherwise). */
  readonly geneParam: CoreParam;
  /** The model family (`families/`): every family-specific behaviour is reached through `familyOf(cfg)`. */
  readonly family: FamilyName;
  /**
   * Whether the model is a TwoState (Poisson–Beta) model. Kept for older readers outside this
   * package's model code; new code dispatches on {@link ModelConfig.family}.
   * @deprecated use `family` and `familyOf(cfg)`
   */
  readonly twoState: boolean;
  /** TwoState: Gauss–Legendre nodes of the likelihood (256 by default; null for NB models). */
  readonly nQuadNodes: number | null;
  /** TwoState: per-gene prior location of mu (see {@link ModelOptions.muPriorLoc}), or null. */
  readonly muPriorLoc: readonly number[] | null;
  /**
   * Mean anchoring (see {@link ModelOptions.expressionAnchor}): σ and the log-scale centres
   * (null where the centres are not known, e.g. results rebuilt without the data: the guide's
   * parameters are the same), or null when off.
   */
  readonly expressionAnchor: { readonly sigma: number; readonly logCentre: readonly number[] | null } | null;
  /** The multi-dataset design (see {@link ModelOptions.datasetIndices}), or null. */
  readonly datasets: DatasetConfig | null;
  /** Positive transform per parameter name. */
  readonly positiveTransform: Readonly<Record<string, "softplus" | "exp">>;
  readonly priors: ResolvedPriors;
  /** Observation overdispersion beyond the NB: "none" or "bnb" (see {@link ModelOptions.overdispersion}). */
  readonly overdispersion: "none" | "bnb";
  readonly guideRank: number | null;
  /** The flow guide's kind, or null (see {@link ModelOptions.guideFlow}). */
  readonly guideFlow: FlowKind | null;
  /** The flow guide's settings as given. */
  readonly guideFlowOptions: GuideFlowOptions;
  /** Parameters of the joint guide (empty: none), see {@link ModelOptions.jointParams}. */
  readonly jointParams: readonly CoreParam[];
  /** Joint parameters sharing the low-rank factor, see {@link ModelOptions.denseParams}. */
  readonly denseParams: readonly CoreParam[];
  readonly amortizeCapture: boolean;
  readonly captureHiddenDims: readonly number[];
  readonly annotationLogits: Tensor | null;
  readonly componentGeneLoc: Tensor | null;
}

const ALIASES: Record<string, Parameterization> = {
  canonical: "canonical",
  standard: "canonical",
  mean_prob: "mean_prob",
  linked: "mean_prob",
  mean_odds: "mean_odds",
  odds_ratio: "mean_odds",
  mean_disp: "mean_disp",
  two_state_natural: "two_state_natural",
  natural: "two_state_natural",
  two_state_ratio: "two_state_ratio",
  ratio: "two_state_ratio",
  two_state_mean_fano: "two_state_mean_fano",
  mean_fano: "two_state_mean_fano",
  fano: "two_state_mean_fano",
  two_state_moment_delta: "two_state_moment_delta",
  moment_delta: "two_state_moment_delta",
  delta: "two_state_moment_delta",
};

/** Resolve a parameterization name or alias; throws listing the valid names. */
export function resolveParameterization(name: string | undefined): Parameterization {
  const p = ALIASES[name ?? "canonical"];
  if (!p)
    throw new Error(
      `unknown parameterization ${JSON.stringify(name)}; expected one of ${Object.keys(ALIASES).join(", ")}`,
    );
  return p;
}

/** Whether a model name is a TwoState (Poisson–Beta) model. */
export function isTwoStateModel(m: string): m is TwoStateModelType {
  return m === "twostate" || m === "twostatevcp";
}

/** Whether a (resolved) parameterization is one of the TwoState ones. */
export function isTwoStateParameterization(p: Parameterization): p is TwoStateParameterization {
  return p.startsWith("two_state_");
}

/** The sampled core params of a parameterization (TwoState: mu plus the two extras of the SCRIBE two-state models). */
export function sampledCoreParams(p: Parameterization): CoreParam[] {
  switch (p) {
    case "canonical":
      return ["p", "r"];
    case "mean_prob":
      return ["p", "mu"];
    case "mean_odds":
      return ["phi", "mu"];
    case "mean_disp":
      return ["mu", "r"];
    case "two_state_natural":
      return ["mu", "burst_size", "k_off"];
    case "two_state_ratio":
      return ["mu", "burst_size", "switching_ratio"];
    case "two_state_mean_fano":
      return ["mu", "excess_fano", "concentration"];
    case "two_state_moment_delta":
      return ["mu", "excess_fano", "inv_concentration"];
  }
}

const MODEL_TYPES: readonly ModelType[] = ["nbdm", "zinb", "nbvcp", "zinbvcp", "twostate", "twostatevcp"];

const TWO_STATE_NAMES = [
  "two_state_natural (natural)",
  "two_state_ratio (ratio)",
  "two_state_mean_fano (mean_fano, fano)",
  "two_state_moment_delta (moment_delta, delta)",
].join(", ");

function resolveMixtureParams(
  input: MixtureParamsInput,
  core: readonly CoreParam[],
  geneParam: CoreParam,
  zi: boolean,
): CoreParam[] {
  const avail: CoreParam[] = zi ? [...core, "gate"] : [...core];
  let out: CoreParam[];
  if (typeof input !== "string") out = [...input];
  else if (input === "all") out = avail;
  else if (input === "biological") out = [...core];
  else if (input === "mean") out = [geneParam];
  else if (input === "prob") out = core.filter((c) => c !== geneParam);
  else if (input === "gate") out = ["gate"];
  else throw new Error(`mixtureParams: unknown value ${JSON.stringify(input)}`);
  for (const p of out)
    if (!avail.includes(p))
      throw new Error(
        `mixtureParams: '${p}' is not a sampled parameter of this model (sampled: ${avail.join(", ")})`,
      );
  return out;
}

/**
 * Build a {@link ModelConfig} for `modelType` from options, checking sizes, names, priors and
 * feature combinations. Errors name the option and the fix.
 * @example
 * const cfg = makeConfig("nbvcp", { nCells: 100, nGenes: 50, parameterization: "linked" });
 * cfg.parameterization; // "mean_prob"
 */
export function makeConfig(modelType: ModelType, opts: ModelOptions): ModelConfig {
  if (!MODEL_TYPES.includes(modelType))
    throw new Error(`unknown model ${JSON.stringify(modelType)}; expected one of ${MODEL_TYPES.join(", ")}`);
  for (const k of ["nCells", "nGenes"] as const)
    if (!Number.isInteger(opts[k]) || opts[k] < 1)
      throw new Error(`${k} must be a positive integer, got ${opts[k]}`);
  const family = familyNameOfModel(modelType);
  const traits = FAMILY_TRAITS[family];
  checkFamilyOptions(modelType, traits, opts);
  const parameterization = resolveParameterization(opts.parameterization);
  const paramFamily = familyNameOfParameterization(parameterization);
  if (paramFamily !== family)
    throw new Error(
      traits.parameterizationPrefix
        ? `model ${modelType} needs a ${traits.label} parameterization (${TWO_STATE_NAMES}), got ${JSON.stringify(opts.parameterization)}`
        : `parameterization ${JSON.stringify(opts.parameterization)} is a ${FAMILY_TRAITS[paramFamily].label} parameterization; use it with model ${FAMILY_TRAITS[paramFamily].modelTypes.join(" or ")} (or pick canonical, mean_prob, mean_odds, mean_disp for ${modelType})`,
    );
  const zeroInflated = modelType === "zinb" || modelType === "zinbvcp";
  const variableCapture = modelType === "nbvcp" || modelType === "zinbvcp" || modelType === "twostatevcp";
  const K = opts.nComponents ?? 1;
  if (!Number.isInteger(K) || K < 1) throw new Error(`nComponents must be a positive integer, got ${K}`);
  const sampledCore = sampledCoreParams(parameterization);
  const geneParam: CoreParam = parameterization === "canonical" ? "r" : "mu";
  const mixtureParams =
    K > 1 ? resolveMixtureParams(opts.mixtureParams ?? "all", sampledCore, geneParam, zeroInflated) : [];
  // the family's default (TwoState: {"mu": "exp"}, SCRIBE two-state models); a global string or a per-parameter entry wins
  const dflt = traits.positiveTransform;
  const pt =
    opts.positiveTransform ?? (Object.keys(dflt.overrides).length ? { ...dflt.overrides } : dflt.default);
  const positiveTransform: Record<string, "softplus" | "exp"> = {};
  for (const name of POSITIVE_PARAMS) {
    const t = typeof pt === "string" ? pt : (pt[name] ?? dflt.overrides[name] ?? dflt.default);
    if (t !== "softplus" && t !== "exp")
      throw new Error(`positiveTransform.${name} must be "softplus" or "exp", got ${JSON.stringify(t)}`);
    positiveTransform[name] = t;
  }
  const expressionAnchor = resolveExpressionAnchor(modelType, opts, traits);
  // mean anchoring forces unconstrained mode (SCRIBE mean anchoring)
  const unconstrained = expressionAnchor ? true : (opts.unconstrained ?? false);
  const overdispersion = opts.overdispersion ?? "none";
  if (overdispersion !== "none" && overdispersion !== "bnb")
    throw new Error(`overdispersion must be "none" or "bnb", got ${JSON.stringify(overdispersion)}`);
  if (overdispersion === "bnb" && !traits.supportsBnb)
    throw new Error(
      `overdispersion "bnb" applies to the NB-family models (nbdm, zinb, nbvcp, zinbvcp), not ${modelType}`,
    );
  const priors = resolvePriors(opts.priors, {
    bnb: overdispersion === "bnb",
    parameterization,
    unconstrained,
    zeroInflated,
    variableCapture,
    nComponents: K,
  });
  let nQuadNodes: number | null = null;
  let muPriorLoc: readonly number[] | null = null;
  if (traits.quadrature) {
    nQuadNodes = opts.nQuadNodes ?? TWO_STATE_DEFAULT_NODES;
    if (opts.muPriorLoc !== undefined && opts.muPriorLoc !== null) {
      if (opts.muPriorLoc.length !== opts.nGenes || !opts.muPriorLoc.every(Number.isFinite))
        throw new Error(
          `muPriorLoc must hold ${opts.nGenes} finite numbers (one per gene), got ${opts.muPriorLoc.length}`,
        );
      muPriorLoc = [...opts.muPriorLoc];
    }
  } else {
    const quad = Object.values(FAMILY_TRAITS).filter((t) => t.quadrature);
    const where = quad.map((t) => `the ${t.label} models (${t.modelTypes.join(", ")})`).join(", ");
    if (opts.nQuadNodes !== undefined)
      throw new Error(`nQuadNodes applies only to ${where}, not ${modelType}`);
    if (opts.muPriorLoc !== undefined)
      throw new Error(`muPriorLoc applies only to ${where}, not ${modelType}`);
  }
  if (
    opts.guideRank !== undefined &&
    opts.guideRank !== null &&
    (!Number.isInteger(opts.guideRank) || opts.guideRank < 1)
  )
    throw new Error(`guideRank must be a positive integer, got ${opts.guideRank}`);
  const guideFlow = opts.guideFlow ?? null;
  if (guideFlow !== null) {
    const kinds = ["spline_coupling", "affine_coupling", "maf", "iaf"];
    if (!kinds.includes(guideFlow))
      throw new Error(`guideFlow must be one of ${kinds.join(", ")}, got ${JSON.stringify(guideFlow)}`);
    if (opts.guideRank !== undefined && opts.guideRank !== null)
      throw new Error(
        `guideFlow and guideRank are exclusive (SCRIBE: guide_flow replaces the low-rank guide); got guideFlow ${guideFlow} and guideRank ${opts.guideRank}`,
      );
    if (opts.jointParams !== undefined)
      throw new Error(
        "guideFlow and jointParams are exclusive: two different guides over several parameters (for a joint flow use guideFlowOptions.independent: false)",
      );
    const independent = opts.guideFlowOptions?.independent ?? true;
    if (typeof independent !== "boolean")
      throw new Error(
        `guideFlowOptions.independent must be true or false, got ${JSON.stringify(independent)}`,
      );
  }
  const { jointParams, denseParams } = resolveJointParams(opts, {
    sampledCore,
    zeroInflated,
    unconstrained,
    nComponents: K,
    mixtureParams,
    priors,
    geneLevel: (n) =>
      traits.allParamsPerGene ||
      n === "r" ||
      n === "mu" ||
      n === "gate" ||
      (priors.hierarchy.prob !== undefined && (n === "p" || n === "phi")),
  });
  const amortizeCapture = opts.amortizeCapture ?? false;
  if (amortizeCapture && !variableCapture)
    throw new Error(
      `amortizeCapture needs a variable-capture model (nbvcp, zinbvcp, twostatevcp), not ${modelType}`,
    );
  if (amortizeCapture && priors.capture)
    throw new Error(
      "amortizeCapture works only with the flat capture prior; drop priors.organism / priors.capture_efficiency",
    );
  const ann = opts.annotationLogits ?? null;
  if (ann) {
    if (K < 2) throw new Error("annotationLogits need a mixture (nComponents ≥ 2)");
    if (ann.rank !== 2 || ann.shape[0] !== opts.nCells || ann.shape[1] !== K)
      throw new Error(`annotationLogits must have shape [${opts.nCells}, ${K}], got [${ann.shape}]`);
  }
  const hier = priors.hierarchy;
  const datasets = resolveDatasets(opts, {
    nCells: opts.nCells,
    nComponents: K,
    sampledCore,
    geneParam,
    zeroInflated,
    unconstrained,
    hierarchical: sampledCore
      .filter((n) => (n === geneParam ? hier.expression : n === "p" || n === "phi" ? hier.prob : undefined))
      .concat(hier.gate ? ["gate"] : []),
    unsupported: traits.quadrature
      ? `datasetIndices / datasetKey: the ${traits.label} models do not support multi-dataset designs yet`
      : null,
    ...(priors.levelFamilies ? { levelFamilies: priors.levelFamilies } : {}),
    ...(priors.levelBase ? { levelBase: priors.levelBase } : {}),
  });
  if (parameterization === "mean_disp" && priors.hierarchy.prob)
    throw new Error("mean_disp has no p/phi parameter to put a hierarchy on (priors.probability)");
  return {
    modelType,
    parameterization,
    unconstrained,
    nCells: opts.nCells,
    nGenes: opts.nGenes,
    nComponents: K,
    mixtureParams,
    zeroInflated,
    variableCapture,
    sampledCore,
    geneParam,
    family,
    twoState: family === "two_state",
    nQuadNodes,
    muPriorLoc,
    expressionAnchor,
    datasets,
    positiveTransform,
    priors,
    overdispersion,
    guideRank: opts.guideRank ?? null,
    guideFlow,
    guideFlowOptions: opts.guideFlowOptions ?? {},
    jointParams,
    denseParams,
    amortizeCapture,
    captureHiddenDims: opts.captureHiddenDims ?? [64, 32],
    annotationLogits: ann,
    componentGeneLoc: opts.componentGeneLoc ?? null,
  };
}

/** Check the mean-anchoring options (SCRIBE mean anchoring); null when off. */
function resolveExpressionAnchor(
  modelType: ModelType,
  opts: ModelOptions,
  traits: FamilyTraits,
): ModelConfig["expressionAnchor"] {
  if (!opts.expressionAnchor) {
    if (opts.expressionAnchorLoc !== undefined)
      throw new Error("expressionAnchorLoc needs expressionAnchor: true");
    return null;
  }
  if (traits.quadrature)
    throw new Error(
      `expressionAnchor applies to the NB-family models; ${modelType} anchors mu at the data already (muPriorLoc)`,
    );
  if (opts.unconstrained === false)
    throw new Error(
      "expressionAnchor needs unconstrained: true (the anchored prior is a Normal + transform)",
    );
  const sigma = opts.expressionAnchorSigma ?? 0.3;
  if (!(sigma > 0) || !Number.isFinite(sigma))
    throw new Error(`expressionAnchorSigma must be a positive number, got ${sigma}`);
  const loc = opts.expressionAnchorLoc;
  if (loc !== undefined && (loc.length !== opts.nGenes || !loc.every(Number.isFinite)))
    throw new Error(
      `expressionAnchorLoc must hold ${opts.nGenes} finite numbers (one per gene), got ${loc.length}`,
    );
  return { sigma, logCentre: loc ? [...loc] : null };
}

/** What {@link resolveJointParams} needs to know of the model. */
interface JointContext {
  sampledCore: readonly CoreParam[];
  zeroInflated: boolean;
  unconstrained: boolean;
  nComponents: number;
  mixtureParams: readonly CoreParam[];
  priors: ResolvedPriors;
  geneLevel: (name: CoreParam) => boolean;
}

/** Sites whose constrained prior is a Beta or BetaPrime (the joint guide needs a normal on their unconstrained value). */
const BETA_PRIOR_PARAMS: readonly CoreParam[] = ["p", "phi", "gate", "inv_concentration"];

/**
 * Resolve and check `jointParams` / `denseParams` (SCRIBE guides): "biological" is the sampled
 * core parameters; each name must be sampled, have a normal-based prior, carry no hierarchy,
 * and all must agree on the component axis.
 */
function resolveJointParams(
  opts: ModelOptions,
  ctx: JointContext,
): { jointParams: CoreParam[]; denseParams: CoreParam[] } {
  const input = opts.jointParams;
  if (input === undefined || input === null) {
    if (opts.denseParams !== undefined && opts.denseParams !== null)
      throw new Error("denseParams needs jointParams (the joint guide's parameters)");
    return { jointParams: [], denseParams: [] };
  }
  const avail: CoreParam[] = ctx.zeroInflated ? [...ctx.sampledCore, "gate"] : [...ctx.sampledCore];
  let joint: CoreParam[];
  if (input === "biological") joint = [...ctx.sampledCore];
  else if (Array.isArray(input)) joint = [...(input as readonly CoreParam[])];
  else
    throw new Error(`jointParams must be "biological" or a list of parameters, got ${JSON.stringify(input)}`);
  if (new Set(joint).size !== joint.length)
    throw new Error(`jointParams: repeated names in [${joint.join(", ")}]`);
  if (joint.length < 2)
    throw new Error(`jointParams needs at least two parameters, got [${joint.join(", ")}]`);
  const h = ctx.priors.hierarchy;
  for (const n of joint) {
    if (!avail.includes(n))
      throw new Error(
        `jointParams: '${n}' is not a sampled parameter of this model (sampled: ${avail.join(", ")})`,
      );
    if (!ctx.unconstrained && BETA_PRIOR_PARAMS.includes(n))
      throw new Error(
        `jointParams: '${n}' has a Beta/BetaPrime prior in constrained mode; the joint guide is a normal on unconstrained values, so set unconstrained: true`,
      );
    const hier =
      n === "gate"
        ? h.gate
        : n === "p" || n === "phi"
          ? h.prob
          : n === "r" || n === "mu"
            ? h.expression
            : undefined;
    if (hier)
      throw new Error(
        `jointParams: '${n}' has a gene-level ${hier.family} hierarchy; the joint guide covers parameters with flat priors`,
      );
  }
  const withK = joint.filter((n) => ctx.nComponents > 1 && ctx.mixtureParams.includes(n));
  if (withK.length > 0 && withK.length < joint.length)
    throw new Error(
      `jointParams: [${withK.join(", ")}] are per component and [${joint.filter((n) => !withK.includes(n)).join(", ")}] are not; joint parameters must share the component axis (see mixtureParams)`,
    );
  const rank = opts.guideRank ?? null;
  let dense: CoreParam[];
  if (opts.denseParams === undefined || opts.denseParams === null)
    dense = rank === null ? [] : joint.filter((n) => ctx.geneLevel(n));
  else {
    if (rank === null)
      throw new Error("denseParams needs guideRank (the rank of the shared low-rank factor)");
    dense = [...opts.denseParams];
    for (const n of dense) {
      if (!joint.includes(n))
        throw new Error(`denseParams: '${n}' is not in jointParams [${joint.join(", ")}]`);
      if (!ctx.geneLevel(n))
        throw new Error(
          `denseParams: '${n}' has no gene axis; only gene-level parameters share the low-rank factor`,
        );
    }
  }
  return { jointParams: joint, denseParams: dense };
}

/** Parameters with a positive transform (softplus or exp) in unconstrained mode. */
const POSITIVE_PARAMS = [
  "r",
  "mu",
  "phi",
  "phi_capture",
  "burst_size",
  "k_off",
  "switching_ratio",
  "excess_fano",
  "concentration",
];

/**
 * A family's restrictions that do not depend on the parameterization (TwoState, SCRIBE
 * two-state models: no annotation priors; `nQuadNodes` an integer ≥ 6).
 */
function checkFamilyOptions(modelType: ModelType, traits: FamilyTraits, opts: ModelOptions): void {
  if (
    !traits.supportsAnnotation &&
    (opts.annotationLogits || (opts.priors && "annotation_logits" in opts.priors))
  )
    throw new Error(
      `model ${modelType} does not support annotation priors (annotationLogits / priors.annotation_logits / annotationKey)`,
    );
  if (
    traits.quadrature &&
    opts.nQuadNodes !== undefined &&
    (!Number.isInteger(opts.nQuadNodes) || opts.nQuadNodes < 6)
  )
    throw new Error(`nQuadNodes must be an integer ≥ 6, got ${opts.nQuadNodes}`);
}

/** The transform of a parameter in unconstrained mode. */
export function transformOf(cfg: ModelConfig, name: string): TransformName {
  if (name === "p" || name === "gate" || name === "p_capture" || name === "inv_concentration")
    return "sigmoid";
  return cfg.positiveTransform[name] ?? "softplus";
}
