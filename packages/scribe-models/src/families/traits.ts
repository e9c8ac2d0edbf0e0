/**
 * The static facts of each model family, as data (no model code): which model types belong to
 * it, which parameterizations it accepts, and which options and prior keys it supports.
 * `models/config.ts` and `models/priors.ts` validate against these tables; the behaviour of a
 * family (sites, likelihood, maps, predictive, denoising) lives in its module (`nb.ts`,
 * `two-state.ts`) behind the `ModelFamily` interface of `family.ts`.
 * @module
 */

/** The model families (SCRIBE models): negative binomial (nbdm, zinb, nbvcp, zinbvcp) and TwoState (Poisson–Beta). */
export type FamilyName = "nb" | "two_state";

/** Static facts of a family. */
export interface FamilyTraits {
  /** Family name. */
  readonly name: FamilyName;
  /** Human-readable name for messages. */
  readonly label: string;
  /** Model types of the family. */
  readonly modelTypes: readonly string[];
  /** The variable-capture model types (named in messages about capture priors). */
  readonly captureModels: readonly string[];
  /** Its parameterizations share this prefix (TwoState: `two_state_`); null: any other. */
  readonly parameterizationPrefix: string | null;
  /** Capture sites it can use (`phi_capture` only under mean_odds). */
  readonly captureSites: readonly ("p_capture" | "phi_capture")[];
  /** Whether mixtures may take annotation priors. */
  readonly supportsAnnotation: boolean;
  /** Gene-level hierarchy targets it has (SCRIBE gene-level hierarchies). */
  readonly hierarchyTargets: readonly ("prob" | "expression" | "gate")[];
  /** Every sampled core parameter is per gene. */
  readonly allParamsPerGene: boolean;
  /** Default positive transform: one for all, with per-parameter exceptions. */
  readonly positiveTransform: {
    readonly default: "softplus" | "exp";
    readonly overrides: Readonly<Record<string, "softplus" | "exp">>;
  };
  /** The likelihood integrates by quadrature (`nQuadNodes` applies) and takes a data-anchored mu prior (`muPriorLoc`). */
  readonly quadrature: boolean;
  /** Its regime coordinate (`priors.regime`) is the third sampled core parameter. */
  readonly hasRegime: boolean;
  /** The model needs an explicit parameterization (no default). */
  readonly needsParameterization: boolean;
  /** Whether its models take BNB overdispersion (SCRIBE BNB overdispersion: the NB family only). */
  readonly supportsBnb: boolean;
  /** Result tables add posterior means of the sampled extras and deterministic sites (`ModelFamily.deterministicNames`). */
  readonly summarizesDerivedSites: boolean;
}

/** The traits of every family, keyed by name. */
export const FAMILY_TRAITS: Readonly<Record<FamilyName, FamilyTraits>> = {
  nb: {
    name: "nb",
    label: "negative binomial",
    modelTypes: ["nbdm", "zinb", "nbvcp", "zinbvcp"],
    captureModels: ["nbvcp", "zinbvcp"],
    parameterizationPrefix: null,
    captureSites: ["p_capture", "phi_capture"],
    supportsAnnotation: true,
    hierarchyTargets: ["prob", "expression", "gate"],
    allParamsPerGene: false,
    positiveTransform: { default: "softplus", overrides: {} },
    quadrature: false,
    hasRegime: false,
    needsParameterization: false,
    supportsBnb: true,
    summarizesDerivedSites: false,
  },
  two_state: {
    name: "two_state",
    label: "TwoState",
    modelTypes: ["twostate", "twostatevcp"],
    captureModels: ["twostatevcp"],
    parameterizationPrefix: "two_state_",
    captureSites: ["p_capture"],
    supportsAnnotation: false,
    hierarchyTargets: ["expression"],
    allParamsPerGene: true,
    positiveTransform: { default: "softplus", overrides: { mu: "exp" } },
    quadrature: true,
    hasRegime: true,
    needsParameterization: true,
    supportsBnb: false,
    summarizesDerivedSites: true,
  },
};

/** The family of a model type (e.g. "zinbvcp" → nb); throws on an unknown model. */
export function familyNameOfModel(modelType: string): FamilyName {
  for (const t of Object.values(FAMILY_TRAITS)) if (t.modelTypes.includes(modelType)) return t.name;
  throw new Error(
    `unknown model ${JSON.stringify(modelType)}; expected one of ${Object.values(FAMILY_TRAITS)
      .flatMap((t) => t.modelTypes)
      .join(", ")}`,
  );
}

/** The family whose parameterizations include `parameterization` (a resolved name). */
export function familyNameOfParameterization(parameterization: string): FamilyName {
  for (const t of Object.values(FAMILY_TRAITS))
    if (t.parameterizationPrefix && parameterization.startsWith(t.parameterizationPrefix)) return t.name;
  return "nb";
}
