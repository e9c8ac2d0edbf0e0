/**
 * SCRIBE's default priors (SCRIBE models) and the unified `priors` option (SCRIBE `priors` option):
 * the value's shape selects its role — a tuple sets the hyper-parameters of a site's flat
 * prior, a family string ("gaussian" | "horseshoe" | "neg") turns on a gene-level hierarchy,
 * an object `{ type, ...hyper }` sets the family with hyper-parameters, an object
 * `{ level: family }` gives each named grouping factor (or interaction `a:b`) of a dataset
 * design (`datasetKey` / `hierarchy` / `interactions`) the prior family of its effects on that
 * parameter, with the reserved key `base` taking any value the parameter itself accepts (its
 * flat prior's tuple, or its gene-level family, which then applies to the design's base). A
 * level's family is one of {@link LEVEL_FAMILY_NAMES} (SCRIBE's families and its `effect_type`
 * names, mapped to ours by {@link levelFamilyFrom}). Also the
 * biology-informed capture prior (SCRIBE capture prior) and the mixing concentration.
 * @module
 */
import type { Tensor } from "@scribe/core";
import { FAMILY_TRAITS, familyNameOfParameterization } from "../families/traits.js";
import { type Parameterization, resolveParameterization, sampledCoreParams } from "./config.js";

/** A gene-level hierarchy family with its hyper-parameters. */
export type HierarchySpec =
  | { family: "gaussian" }
  | { family: "horseshoe"; tau0: number; slabDf: number; slabScale: number }
  | { family: "neg"; u: number; a: number; tau: number };

/**
 * The prior of one factor's (or interaction's) effects in a dataset design: a gene-level family
 * (gaussian: a learned scale; horseshoe / NEG: non-centred shrinkage), or "fixed": N(0, scale)
 * with a fixed scale and no learned shrinkage (SCRIBE `effect_type: "fixed"`, `fixed_scale`).
 */
export type LevelFamily = HierarchySpec | { family: "fixed"; scale: number };

/**
 * The family names a `{ level: family }` entry takes, and what each means here: our families,
 * SCRIBE's `effect_type` names ("random": a zero-mean effect with a learned scale = gaussian;
 * "fixed": a fixed scale, no shrinkage) and SCRIBE's "none" (no family: the design's default,
 * fixed N(0, 1) for a crossed factor or an interaction, gaussian for a nested factor).
 */
export const LEVEL_FAMILY_NAMES = ["gaussian", "horseshoe", "neg", "fixed", "random", "none"] as const;

/** SCRIBE's `effect_type` values (`{ effect_type, fixed_scale }` objects). */
export const EFFECT_TYPES = ["random", "fixed"] as const;

/** One value of the `priors` option. */
export type PriorValue =
  | readonly [number, number]
  | number
  | "gaussian"
  | "horseshoe"
  | "neg"
  | string
  | { type: "gaussian" | "horseshoe" | "neg"; [hyper: string]: number | string }
  | LevelPriors
  | Tensor;

/**
 * Per-level prior families of a dataset design (`{ batch: "horseshoe", donor: "gaussian" }`):
 * each key a grouping factor, each value a family string or `{ type, ...hyper }`; the reserved
 * key `base` holds what the parameter itself would take (a tuple or a gene-level family).
 */
export interface LevelPriors {
  readonly [level: string]: PriorValue;
}

/** The reserved key of a {@link LevelPriors} object: the parameter's own prior. */
export const BASE_LEVEL = "base";

/** The unified `priors` option: keys are canonical names or site names (SCRIBE `priors` option). */
export type PriorsInput = Readonly<Record<string, PriorValue>>;

/** Where a gene-level hierarchy applies. */
export type HierarchyTarget = "prob" | "expression" | "gate";

/** Priors after resolution. */
export interface ResolvedPriors {
  /** Hyper-parameters of each flat prior: (α, β) for Beta/BetaPrime, (loc, scale) otherwise. */
  readonly base: Readonly<Record<string, readonly [number, number]>>;
  /** Dirichlet concentration of the mixing weights (per component). */
  readonly mixing: readonly number[];
  /** Gene-level hierarchies. */
  readonly hierarchy: Readonly<Partial<Record<HierarchyTarget, HierarchySpec>>>;
  /** Biology-informed capture prior (log M₀, σ_M), or null for the flat prior. */
  readonly capture: { readonly logM0: number; readonly sigmaM: number } | null;
  /** Annotation logits given through `priors.annotation_logits`. */
  readonly annotationLogits: Tensor | null;
  /** Hierarchy of the BNB excess-dispersion fraction (horseshoe by default), or null without BNB. */
  readonly overdispersion: HierarchySpec | null;
  /**
   * Capture-scaling hierarchy (SCRIBE capture scaling, `priors={"capture_scaling": family}`): the
   * η prior's location log M₀ becomes a latent mu_eta (per dataset with datasets), or null.
   */
  readonly captureScaling?: HierarchySpec | null;
  /**
   * Per-level families of dataset factor effects, by dataset parameter (mu, r or phi) and factor
   * name (`{ level: family }` values; checked against the design in `families/dataset-factors.ts`).
   */
  readonly levelFamilies?: Readonly<Record<string, Readonly<Record<string, LevelFamily>>>>;
  /**
   * A gene-level family under a `{ level: family }` value's `base`, by dataset parameter: the
   * factor design's base β (log θ at the reference levels) as a gene-level hierarchy.
   */
  readonly levelBase?: Readonly<Record<string, HierarchySpec>>;
}

/** Organism table of the SCRIBE capture prior: M₀ (total mRNA per cell) and σ_M. */
export const ORGANISM_PRIORS: Readonly<Record<string, { M0: number; sigmaM: number }>> = {
  human: { M0: 200_000, sigmaM: 0.3 },
  mouse: { M0: 200_000, sigmaM: 0.3 },
  yeast: { M0: 60_000, sigmaM: 0.3 },
  ecoli: { M0: 3_000, sigmaM: 0.3 },
};

const ORGANISM_ALIASES: Record<string, string> = {
  homo_sapiens: "human",
  "h. sapiens": "human",
  mus_musculus: "mouse",
  "m. musculus": "mouse",
  saccharomyces_cerevisiae: "yeast",
  "s. cerevisiae": "yeast",
  e_coli: "ecoli",
  escherichia_coli: "ecoli",
  "e. coli": "ecoli",
};

/** Canonical key → site name. */
const KEY_TO_SITE: Record<string, string> = {
  mean_expression: "mu",
  dispersion: "r",
  probability: "p",
  odds_ratio: "phi",
  zero_inflation: "gate",
  capture_probability: "p_capture",
  capture_efficiency: "eta_capture",
  p: "p",
  r: "r",
  mu: "mu",
  phi: "phi",
  gate: "gate",
  p_capture: "p_capture",
  phi_capture: "phi_capture",
  eta_capture: "eta_capture",
  burst_size: "burst_size",
  k_off: "k_off",
  switching_ratio: "switching_ratio",
  excess_fano: "excess_fano",
  concentration: "concentration",
  inv_concentration: "inv_concentration",
  regime: "regime",
  organism: "organism",
  mixing: "mixing",
  mixing_weights: "mixing",
  annotation_logits: "annotation_logits",
  overdispersion: "bnb_concentration",
  bnb_concentration: "bnb_concentration",
  capture_scaling: "mu_eta",
  mu_eta: "mu_eta",
};

/**
 * Default hyper-parameters of the flat priors, constrained mode. The TwoState extras (SCRIBE
 * two-state models) are LogNormal(loc, scale) with the unconstrained numbers, except
 * inv_concentration ~ Beta(1, 50) (upstream's value, matching its older logit loc −4).
 */
export const CONSTRAINED_DEFAULTS: Readonly<Record<string, readonly [number, number]>> = {
  p: [1, 1],
  r: [0, 1],
  mu: [0, 1],
  phi: [1, 1],
  gate: [1, 9],
  p_capture: [1, 1],
  phi_capture: [1, 1],
  burst_size: [0, 1.5],
  k_off: [3, 2],
  switching_ratio: [3, 2],
  excess_fano: [0, 1.5],
  concentration: [3, 2],
  inv_concentration: [1, 50],
};

/**
 * Default hyper-parameters (Normal loc, scale before the transform), unconstrained mode.
 * TwoState extras as in the SCRIBE two-state models; inv_concentration is sigmoid(N(−2, 2)).
 */
export const UNCONSTRAINED_DEFAULTS: Readonly<Record<string, readonly [number, number]>> = {
  p: [0, 1],
  r: [0, 1],
  mu: [0, 1],
  phi: [0, 1],
  gate: [-2, 1],
  p_capture: [0, 1],
  phi_capture: [0, 1],
  burst_size: [0, 1.5],
  k_off: [3, 2],
  switching_ratio: [3, 2],
  excess_fano: [0, 1.5],
  concentration: [3, 2],
  inv_concentration: [-2, 2],
};

/** Sites whose constrained prior is a Beta or BetaPrime (both hyper-parameters must be positive). */
const BETA_LIKE = new Set(["p", "gate", "p_capture", "phi", "phi_capture", "inv_concentration"]);

/** Context needed to resolve priors. */
export interface PriorContext {
  parameterization: Parameterization;
  unconstrained: boolean;
  zeroInflated: boolean;
  variableCapture: boolean;
  nComponents: number;
  /** The model has BNB overdispersion (`overdispersion: "bnb"`). */
  bnb?: boolean;
}

/** SCRIBE's default prior of the BNB excess-dispersion fraction: the regularized horseshoe (tau0 1, slab_df 4, slab_scale 2). */
export const DEFAULT_OVERDISPERSION_PRIOR: HierarchySpec = {
  family: "horseshoe",
  tau0: 1,
  slabDf: 4,
  slabScale: 2,
};

/** Whether a priors value is a `{ level: family }` object (not a tuple, a tensor or `{ type }`). */
export function isLevelPriors(v: PriorValue): v is LevelPriors {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !("type" in v) &&
    Object.getPrototypeOf(v) === Object.prototype
  );
}

function hierarchyFrom(key: string, v: PriorValue): HierarchySpec | null {
  const fam = typeof v === "string" ? v : typeof v === "object" && v !== null && "type" in v ? v.type : null;
  if (fam === null) return null;
  const hyper = typeof v === "object" && v !== null && "type" in v ? (v as Record<string, unknown>) : {};
  const num = (k: string, d: number) => {
    const x = hyper[k];
    if (x === undefined) return d;
    if (typeof x !== "number" || !Number.isFinite(x))
      throw new Error(`priors.${key}: ${k} must be a finite number`);
    return x;
  };
  if (fam === "gaussian") return { family: "gaussian" };
  if (fam === "horseshoe")
    return {
      family: "horseshoe",
      tau0: num("tau0", 1),
      slabDf: num("slab_df", 4),
      slabScale: num("slab_scale", 2),
    };
  if (fam === "neg") return { family: "neg", u: num("u", 1), a: num("a", 1), tau: num("tau", 1) };
  throw new Error(
    `priors.${key}: unknown family ${JSON.stringify(fam)}; expected "gaussian", "horseshoe" or "neg" (or a [a, b] tuple)`,
  );
}

/**
 * Resolve the `priors` option against a model: fills the defaults, routes each entry by the
 * shape of its value, and checks that tuples target sampled (not derived) parameters and
 * that hierarchies come with `unconstrained: true`.
 * @example
 * resolvePriors({ p: [2, 2], organism: "human" }, ctx).capture; // { logM0: ln 2e5, sigmaM: 0.3 }
 */
export function resolvePriors(input: PriorsInput | undefined, ctx: PriorContext): ResolvedPriors {
  const base: Record<string, readonly [number, number]> = {
    ...(ctx.unconstrained ? UNCONSTRAINED_DEFAULTS : CONSTRAINED_DEFAULTS),
  };
  let mixing = new Array<number>(ctx.nComponents).fill(1);
  const hierarchy: Partial<Record<HierarchyTarget, HierarchySpec>> = {};
  let capture: { logM0: number; sigmaM: number } | null = null;
  let annotationLogits: Tensor | null = null;
  let captureScaling: HierarchySpec | null = null;
  const levelFamilies: Record<string, Record<string, LevelFamily>> = {};
  const levelBase: Record<string, HierarchySpec> = {};
  let overdispersion: HierarchySpec | null = ctx.bnb ? DEFAULT_OVERDISPERSION_PRIOR : null;
  const traits = FAMILY_TRAITS[familyNameOfParameterization(ctx.parameterization)];
  const vcpModels = traits.captureModels.join(", ");
  const sampled = new Set<string>(sampledCoreParams(ctx.parameterization));
  if (ctx.zeroInflated) sampled.add("gate");
  if (ctx.variableCapture) sampled.add(ctx.parameterization === "mean_odds" ? "phi_capture" : "p_capture");
  for (const [key, given] of Object.entries(input ?? {})) {
    let value = given;
    let site = KEY_TO_SITE[key];
    if (!site)
      throw new Error(
        `priors: unknown key ${JSON.stringify(key)}; known keys: ${Object.keys(KEY_TO_SITE).join(", ")}`,
      );
    if (site === "regime") {
      // the regime coordinate: k_off, switching_ratio, concentration or inv_concentration
      const regime = traits.hasRegime ? sampledCoreParams(ctx.parameterization)[2] : undefined;
      if (!regime)
        throw new Error(
          "priors.regime applies to the TwoState parameterizations (k_off, switching_ratio, concentration or inv_concentration)",
        );
      site = regime;
    }
    if (site === "phi_capture" && !traits.captureSites.includes("phi_capture"))
      throw new Error(
        `priors.${key}: the TwoState models capture through p_capture only (phi_capture is not supported); use priors.p_capture`,
      );
    if (site === "organism") {
      const name = String(value).toLowerCase();
      const org = ORGANISM_PRIORS[ORGANISM_ALIASES[name] ?? name];
      if (!org)
        throw new Error(
          `priors.organism: unknown organism ${JSON.stringify(value)}; known: ${Object.keys(ORGANISM_PRIORS).join(", ")}`,
        );
      if (!ctx.variableCapture)
        throw new Error(`priors.organism needs a variable-capture model (${vcpModels})`);
      capture ??= { logM0: Math.log(org.M0), sigmaM: org.sigmaM };
      continue;
    }
    if (site === "eta_capture") {
      if (!Array.isArray(value) || value.length !== 2)
        throw new Error(`priors.${key} must be a [log_M0, sigma_M] tuple`);
      if (!ctx.variableCapture)
        throw new Error(`priors.${key} needs a variable-capture model (${vcpModels})`);
      const [l, s] = value as [number, number];
      if (!(s > 0)) throw new Error(`priors.${key}: sigma_M must be positive, got ${s}`);
      capture = { logM0: l, sigmaM: s };
      continue;
    }
    if (site === "mixing") {
      if (ctx.nComponents < 2) throw new Error("priors.mixing needs a mixture (nComponents ≥ 2)");
      const concentration = value;
      if (typeof concentration === "number") mixing = mixing.map(() => concentration);
      else if (Array.isArray(value) && value.length === ctx.nComponents) mixing = [...(value as number[])];
      else throw new Error(`priors.mixing must be a number or ${ctx.nComponents} numbers`);
      if (mixing.some((a) => !(a > 0))) throw new Error("priors.mixing: concentrations must be positive");
      continue;
    }
    if (site === "bnb_concentration") {
      if (!ctx.bnb) throw new Error(`priors.${key} applies to BNB overdispersion; set overdispersion: "bnb"`);
      const h = hierarchyFrom(key, value);
      if (!h)
        throw new Error(
          `priors.${key}: expected "horseshoe" (default), "gaussian" or "neg", or { type, ...hyper-parameters }`,
        );
      overdispersion = h;
      continue;
    }
    if (site === "mu_eta") {
      if (!ctx.variableCapture)
        throw new Error(`priors.${key} needs a variable-capture model (${vcpModels})`);
      const h = hierarchyFrom(key, value);
      if (!h)
        throw new Error(
          `priors.${key}: expected "gaussian", "horseshoe" or "neg", or { type, ...hyper-parameters }`,
        );
      captureScaling = h;
      continue;
    }
    if (isLevelPriors(value)) {
      const levels = levelFamiliesFrom(key, site, value, ctx);
      levelFamilies[levels.site] = levels.families;
      // the reserved key: the parameter's own prior, routed as if it were the value itself; a
      // family there is the gene-level hierarchy of the design's base (`datasets.ts`)
      const own = value[BASE_LEVEL];
      if (own === undefined) continue;
      const h = Array.isArray(own) ? null : hierarchyFrom(`${key}.${BASE_LEVEL}`, own);
      if (h) {
        // the expression target (SCRIBE gene-level hierarchies: needs a mixture) pools components
        // toward a per-gene population; another target (phi, or r beside mu) pools its genes toward
        // a scalar one
        if (levels.site === levelTarget("mean_expression", ctx.parameterization) && ctx.nComponents < 2)
          throw new Error(
            `priors.${key}.${BASE_LEVEL} = ${h.family}: the expression hierarchy shrinks per-component values toward a per-gene population, so it needs a mixture (nComponents ≥ 2)`,
          );
        levelBase[levels.site] = h;
        continue;
      }
      value = own;
    }
    if (site === "annotation_logits") {
      if (!traits.supportsAnnotation)
        throw new Error("priors.annotation_logits: the TwoState models do not support annotation priors");
      annotationLogits = value as Tensor;
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length !== 2 || !value.every((x) => typeof x === "number" && Number.isFinite(x)))
        throw new Error(`priors.${key} must be a tuple of two finite numbers, got ${JSON.stringify(value)}`);
      if (!sampled.has(site))
        throw new Error(
          `priors.${key}: '${site}' is not sampled by this model (sampled: ${[...sampled].join(", ")}); hyper-parameters apply only to sampled parameters`,
        );
      const [a, b] = value as [number, number];
      if (!(b > 0) || (!ctx.unconstrained && BETA_LIKE.has(site) && !(a > 0)))
        throw new Error(`priors.${key}: hyper-parameters [${a}, ${b}] out of range`);
      base[site] = [a, b];
      continue;
    }
    const h = hierarchyFrom(key, value);
    if (!h)
      throw new Error(
        `priors.${key}: expected a [a, b] tuple, "gaussian" | "horseshoe" | "neg", or { type, ... }`,
      );
    if (!ctx.unconstrained)
      throw new Error(
        `priors.${key} = ${h.family} is a gene-level hierarchy, which needs unconstrained: true`,
      );
    const target: HierarchyTarget | null =
      site === "p" || site === "phi"
        ? "prob"
        : site === "mu" || site === "r"
          ? "expression"
          : site === "gate"
            ? "gate"
            : null;
    if (!target)
      throw new Error(
        `priors.${key}: hierarchies apply to probability/odds_ratio, mean_expression/dispersion or zero_inflation`,
      );
    if (!traits.hierarchyTargets.includes(target))
      throw new Error(
        `priors.${key}: the TwoState models have no ${target === "prob" ? "p/phi" : "gate"} parameter to put a hierarchy on`,
      );
    if (target === "gate" && !ctx.zeroInflated)
      throw new Error(`priors.${key}: the model has no gate (use zinb or zinbvcp)`);
    if (target === "expression" && ctx.nComponents < 2)
      throw new Error(`priors.${key}: the expression hierarchy needs a mixture (nComponents ≥ 2)`);
    hierarchy[target] = h;
  }
  if (captureScaling && !capture)
    throw new Error(
      "priors.capture_scaling scales the biology-informed capture prior: set priors.organism or priors.capture_efficiency too",
    );
  return {
    base,
    mixing,
    hierarchy,
    capture,
    annotationLogits,
    overdispersion,
    captureScaling,
    ...(Object.keys(levelFamilies).length ? { levelFamilies } : {}),
    ...(Object.keys(levelBase).length ? { levelBase } : {}),
  };
}

/** Sites whose dataset values can take factor effects (log link, `families/dataset-factors.ts`). */
const LEVEL_SITES = ["mu", "r", "phi"];

/**
 * The dataset parameter a `{ level: family }` value of `priors[key]` applies to: the key's site,
 * with the expression keys (mean_expression / dispersion) going to whichever of mu / r the
 * parameterization samples, as SCRIBE's expression hierarchy does (SCRIBE gene-level hierarchies).
 */
export function levelTarget(key: string, parameterization: Parameterization): string {
  const site = KEY_TO_SITE[key] ?? key;
  const sampled = sampledCoreParams(parameterization) as readonly string[];
  return (site === "mu" || site === "r") && !sampled.includes(site) ? (site === "mu" ? "r" : "mu") : site;
}

/**
 * The prior of one level's effects (`priors[key][level]`): a family string of
 * {@link LEVEL_FAMILY_NAMES}, `{ type, ...hyper }` (a gene-level family's hyper-parameters, or
 * `{ type: "fixed", scale }`), or SCRIBE's `{ effect_type: "random" | "fixed", fixed_scale }`.
 * Null for "none" (the design's default). `where` names the entry in errors.
 */
export function levelFamilyFrom(where: string, v: unknown): LevelFamily | null {
  const names = LEVEL_FAMILY_NAMES.map((n) => JSON.stringify(n)).join(", ");
  const fixedScale = (x: unknown, name: string): number => {
    if (x === undefined) return 1;
    if (typeof x !== "number" || !Number.isFinite(x) || !(x > 0))
      throw new Error(`${where}: ${name} must be a positive number, got ${JSON.stringify(x)}`);
    return x;
  };
  if (typeof v === "object" && v !== null && !Array.isArray(v) && "effect_type" in v) {
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== "effect_type" && k !== "fixed_scale");
    if (extra.length)
      throw new Error(
        `${where}: an { effect_type } entry takes effect_type and fixed_scale only, got ${extra.join(", ")}`,
      );
    if (o.effect_type === "fixed")
      return { family: "fixed", scale: fixedScale(o.fixed_scale, "fixed_scale") };
    if (o.effect_type === "random") {
      if (o.fixed_scale !== undefined)
        throw new Error(
          `${where}: fixed_scale applies to effect_type "fixed" (a "random" effect learns its scale)`,
        );
      return { family: "gaussian" };
    }
    throw new Error(
      `${where}: unknown effect_type ${JSON.stringify(o.effect_type)}; expected ${EFFECT_TYPES.map((n) => JSON.stringify(n)).join(" or ")}`,
    );
  }
  const fam = typeof v === "string" ? v : typeof v === "object" && v !== null && "type" in v ? v.type : null;
  if (fam === "none") return null;
  if (fam === "random") return { family: "gaussian" };
  if (fam === "fixed") {
    const o = typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
    return { family: "fixed", scale: fixedScale(o.scale ?? o.fixed_scale, "scale") };
  }
  if (typeof fam === "string" && !(LEVEL_FAMILY_NAMES as readonly string[]).includes(fam))
    throw new Error(`${where}: unknown family ${JSON.stringify(fam)}; expected one of ${names}`);
  const h =
    v === undefined || Array.isArray(v)
      ? null
      : hierarchyFrom(where.replace(/^priors\./, ""), v as PriorValue);
  if (!h)
    throw new Error(
      `${where}: expected a family for the effects of this level (one of ${names}, { type, ...hyper-parameters } or { effect_type, fixed_scale }), got ${JSON.stringify(v)}`,
    );
  return h;
}

/**
 * The error for a `{ level: family }` key that names no grouping factor or interaction of the
 * design: names the entry, the level and the known levels.
 */
export function unknownLevelError(
  where: string,
  target: string,
  level: string,
  factors: readonly string[],
  interactions: readonly string[],
): Error {
  const inter = interactions.length ? `, the interactions ${interactions.join(", ")}` : "";
  return new Error(
    `${where}: unknown level '${level}' of '${target}'; the grouping factors are ${factors.join(", ")}${inter} (or the reserved key "base")`,
  );
}

/** The level key of an interaction (SCRIBE's `a:b`). */
export function interactionLevel(a: string, b: string): string {
  return `${a}:${b}`;
}

/**
 * Check the `{ level: family }` values of a `priors` option against a dataset design before
 * any data is read (fit()'s and `scribe fit`'s plan): each needs a design of several factors,
 * each level key must be a factor or an interaction (`a:b`, either order), each family known.
 * `factors`: the `datasetKey` columns; `parameterization` names the target (mu or r) in errors.
 * @throws Error naming the key, the level and the known levels.
 * @example
 * checkLevelPriors({ mean_expression: { batch: "horseshoe" } }, { factors: ["treat", "batch"] }); // ok
 */
export function checkLevelPriors(
  priors: PriorsInput | undefined,
  design: {
    factors: readonly string[];
    interactions?: readonly (readonly [string, string])[];
    parameterization?: string;
  },
): void {
  let parameterization: Parameterization;
  try {
    parameterization = resolveParameterization(design.parameterization);
  } catch {
    return; // an unknown parameterization is the model's error to report
  }
  const pairs = design.interactions ?? [];
  const interactionNames = pairs.map(([a, b]) => interactionLevel(a, b));
  for (const [key, value] of Object.entries(priors ?? {})) {
    if (!isLevelPriors(value)) continue;
    const target = levelTarget(key, parameterization);
    if (design.factors.length < 2)
      throw new Error(
        `priors.${key}: per-level families ({ level: family }) need a dataset design with several factors (datasetKey with several columns), got ${design.factors.length ? `datasetKey ${design.factors.join(",")}` : "no datasetKey"}`,
      );
    for (const [level, v] of Object.entries(value)) {
      if (level === BASE_LEVEL) continue;
      if (!design.factors.includes(level) && interactionIndex(level, pairs) < 0)
        throw unknownLevelError(`priors.${key}`, target, level, design.factors, interactionNames);
      levelFamilyFrom(`priors.${key}.${level}`, v);
    }
  }
}

/** The index of the interaction a level key `a:b` (or `b:a`) names among `pairs`, or −1. */
export function interactionIndex(level: string, pairs: readonly (readonly [string, string])[]): number {
  const parts = level.split(":");
  if (parts.length !== 2) return -1;
  return pairs.findIndex(
    ([a, b]) => (a === parts[0] && b === parts[1]) || (a === parts[1] && b === parts[0]),
  );
}

/**
 * The families of a `{ level: family }` value of `priors[key]` (site `site`): every key but
 * `base` names a grouping factor or an interaction `a:b` (checked against the design later,
 * `families/dataset-factors.ts`) and holds a family ({@link levelFamilyFrom}; "none" is left
 * out: the design's default).
 */
function levelFamiliesFrom(
  key: string,
  site: string,
  value: LevelPriors,
  ctx: PriorContext,
): { site: string; families: Record<string, LevelFamily> } {
  const sampled = sampledCoreParams(ctx.parameterization) as readonly string[];
  const target = levelTarget(site, ctx.parameterization);
  if (!LEVEL_SITES.includes(target) || !sampled.includes(target))
    throw new Error(
      `priors.${key}: per-level families ({ level: family }) apply to the dataset factor effects of ${LEVEL_SITES.join(", ")} (additive in log space); '${target}' is not one of them in this model (sampled: ${sampled.join(", ")})`,
    );
  if (!ctx.unconstrained)
    throw new Error(
      `priors.${key}: per-level families are dataset hierarchies, which need unconstrained: true`,
    );
  const families: Record<string, LevelFamily> = {};
  for (const [level, v] of Object.entries(value)) {
    if (level === BASE_LEVEL) continue;
    const h = levelFamilyFrom(`priors.${key}.${level}`, v);
    if (h) families[level] = h;
  }
  return { site: target, families };
}
