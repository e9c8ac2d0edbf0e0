/**
 * Model configuration: the model family, the parameterization (with SCRIBE's aliases),
 * constrained vs unconstrained mode, mixtures and the resolved priors. Everything a model
 * and its guide need is in a plain {@link ModelConfig} object, built by {@link makeConfig}.
 * @module
 */
import type { Tensor } from "@scribe/core";
import type { TransformName } from "./transformed-normal.js";
import { type PriorsInput, type ResolvedPriors, resolvePriors } from "./priors.js";

/** The NB-family models of spec §1.2–1.4. */
export type ModelType = "nbdm" | "zinb" | "nbvcp" | "zinbvcp";
/** The parameterizations of spec §1.1. */
export type Parameterization = "canonical" | "mean_prob" | "mean_odds" | "mean_disp";
/** Parameterization names accepted on input, SCRIBE's aliases included. */
export type ParameterizationInput = Parameterization | "standard" | "linked" | "odds_ratio";
/** A core parameter that can be sampled. */
export type CoreParam = "p" | "r" | "mu" | "phi" | "gate";
/** Which params get a leading component axis in a mixture (spec §1.6). */
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
  /** The unified priors option (spec §2.2). */
  priors?: PriorsInput;
  /** Low-rank guide on the gene parameter (spec §3). */
  guideRank?: number;
  /** Amortized capture guide (flat capture prior only). */
  amortizeCapture?: boolean;
  /** Hidden layer sizes of the capture amortizer (default [64, 32]). */
  captureHiddenDims?: number[];
  /** Per-cell annotation logits [nCells, K] (spec §2.6); see `annotationLogits()`. */
  annotationLogits?: Tensor;
  /** Starting log-scale values of the gene parameter per component [K, G] (see mixture-init.ts). */
  componentGeneLoc?: Tensor;
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
  /** The two sampled core params (e.g. ["p", "r"] for canonical). */
  readonly sampledCore: readonly [CoreParam, CoreParam];
  /** The gene-level param (r for canonical, mu otherwise). */
  readonly geneParam: CoreParam;
  /** Positive transform per parameter name. */
  readonly positiveTransform: Readonly<Record<string, "softplus" | "exp">>;
  readonly priors: ResolvedPriors;
  readonly guideRank: number | null;
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

/** The two sampled core params of a parameterization. */
export function sampledCoreParams(p: Parameterization): [CoreParam, CoreParam] {
  switch (p) {
    case "canonical":
      return ["p", "r"];
    case "mean_prob":
      return ["p", "mu"];
    case "mean_odds":
      return ["phi", "mu"];
    case "mean_disp":
      return ["mu", "r"];
  }
}

const MODEL_TYPES: readonly ModelType[] = ["nbdm", "zinb", "nbvcp", "zinbvcp"];

function resolveMixtureParams(
  input: MixtureParamsInput,
  core: readonly [CoreParam, CoreParam],
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
      throw new Error(`mixtureParams: '${p}' is not a sampled parameter of this model (sampled: ${avail.join(", ")})`);
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
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`${k} must be a positive integer, got ${opts[k]}`);
  const parameterization = resolveParameterization(opts.parameterization);
  const zeroInflated = modelType === "zinb" || modelType === "zinbvcp";
  const variableCapture = modelType === "nbvcp" || modelType === "zinbvcp";
  const K = opts.nComponents ?? 1;
  if (!Number.isInteger(K) || K < 1) throw new Error(`nComponents must be a positive integer, got ${K}`);
  const sampledCore = sampledCoreParams(parameterization);
  const geneParam: CoreParam = parameterization === "canonical" ? "r" : "mu";
  const mixtureParams = K > 1 ? resolveMixtureParams(opts.mixtureParams ?? "all", sampledCore, geneParam, zeroInflated) : [];
  const pt = opts.positiveTransform ?? "softplus";
  const positiveTransform: Record<string, "softplus" | "exp"> = {};
  for (const name of ["r", "mu", "phi", "phi_capture"])
    positiveTransform[name] = typeof pt === "string" ? pt : (pt[name] ?? "softplus");
  const unconstrained = opts.unconstrained ?? false;
  const priors = resolvePriors(opts.priors, {
    parameterization,
    unconstrained,
    zeroInflated,
    variableCapture,
    nComponents: K,
  });
  if (opts.guideRank !== undefined && opts.guideRank !== null && (!Number.isInteger(opts.guideRank) || opts.guideRank < 1))
    throw new Error(`guideRank must be a positive integer, got ${opts.guideRank}`);
  const amortizeCapture = opts.amortizeCapture ?? false;
  if (amortizeCapture && !variableCapture) throw new Error(`amortizeCapture needs a variable-capture model (nbvcp, zinbvcp), not ${modelType}`);
  if (amortizeCapture && priors.capture)
    throw new Error("amortizeCapture works only with the flat capture prior; drop priors.organism / priors.capture_efficiency");
  const ann = opts.annotationLogits ?? null;
  if (ann) {
    if (K < 2) throw new Error("annotationLogits need a mixture (nComponents ≥ 2)");
    if (ann.rank !== 2 || ann.shape[0] !== opts.nCells || ann.shape[1] !== K)
      throw new Error(`annotationLogits must have shape [${opts.nCells}, ${K}], got [${ann.shape}]`);
  }
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
    positiveTransform,
    priors,
    guideRank: opts.guideRank ?? null,
    amortizeCapture,
    captureHiddenDims: opts.captureHiddenDims ?? [64, 32],
    annotationLogits: ann,
    componentGeneLoc: opts.componentGeneLoc ?? null,
  };
}

/** The transform of a parameter in unconstrained mode. */
export function transformOf(cfg: ModelConfig, name: string): TransformName {
  if (name === "p" || name === "gate" || name === "p_capture") return "sigmoid";
  return cfg.positiveTransform[name] ?? "softplus";
}
