/**
 * Multi-factor dataset designs (SCRIBE `dataset_key` as a list → crossed factors, with
 * `interactions`; SCRIBE multi-factor designs: additive per-factor effects in log space, exp link
 * forced). The datasets are the crossed level combinations of F factors, row-major
 * (d = Σ_f l_f·stride_f, D = ∏ L_f). A factor parameter θ (the gene parameter mu or r, or phi)
 * has no site of its own; it is
 *
 *   log θ_{d,g} = β_g + Σ_f γ^f_{l_f(d), g} + Σ_{(f,h) ∈ interactions} δ^{fh}_{l_f(d), l_h(d), g},
 *
 * with reference coding (the first level of every factor, and of each interacting pair, has
 * effect 0, so β_g is the log value at the all-reference combination and γ^f_{l,g} the log fold
 * change of level l against the reference): sites `log_{θ}_loc` β [G] ~ N(0, 1) (or N(loc,
 * scale) from θ's prior tuple, e.g. `priors: { mean_expression: { base: [loc, scale] } }`),
 * `log_{θ}_{factor}_effect` γ^f [L_f − 1, G] ~ N(0, 1), and
 * `log_{θ}_{f}_x_{h}_effect` δ^{fh} [(L_f − 1)(L_h − 1), G] ~ N(0, 1). θ itself is a
 * deterministic site [D, G] computed by {@link withFactorValues} wherever the family reads the
 * latent values, so everything downstream (per-cell gathering, derived parameters,
 * log-likelihoods, denoising, summaries) sees an ordinary dataset parameter.
 *
 * Nested factors (`hierarchy`, e.g. donor within batch): a nested factor f with parent h is a
 * random effect, not reference-coded: every level l gets a deviation δ^f_{l,g} ~ N(0, σ^f)
 * (site `log_{θ}_{f}_effect` [L_f, G], its scale `log_{θ}_{f}_scale` = softplus(N(−2, 0.5)),
 * learned), added to its parent's effect. So the child level's total log effect
 * γ^h_{parent(l)} + δ^f_l is drawn around its parent's (the non-centred form of
 * u_l ~ N(γ^h_{parent(l)}, σ^f)): a level with few cells is shrunk toward its parent, one with
 * many cells follows its data, and σ^f (shared by all genes) says how much the children of one
 * parent differ. A nested factor may itself be the parent of another (chains). Its datasets
 * are the present level combinations (`combinations`), since most crossed combinations of a
 * nested design hold no cell.
 *
 * Per-term prior families (`priors: { mean_expression: { batch: "horseshoe", donor:
 * "gaussian", "treat:batch": "neg" } }`, SCRIBE `priors` option's `{ level: family }`): a term (a factor's
 * main effect, or an interaction `f:h`) with a family gets effects with that prior instead of
 * the default (crossed factors and interactions: fixed N(0, 1); nested: gaussian). The coding
 * stays (reference-coded for a crossed factor and an interaction, every level for a nested
 * one); only the effects' prior changes. "fixed" (SCRIBE `effect_type: "fixed"`): N(0, scale),
 * scale given (default 1), nothing learned. "gaussian" (SCRIBE "random"): centred, γ ~ N(0, σ)
 * with `log_{θ}_{term}_scale` = softplus(N(−2, 0.5)) as for nested factors. "horseshoe" /
 * "neg": non-centred (SCRIBE gene-level hierarchies), γ = s ⊙ z with z = `{θ}_{term}_raw` ~
 * N(0, 1) of the effect's shape and s the regularized horseshoe's τ·c·λ/√(c² + τ²λ²) (`tau_{θ}_{term}`,
 * `lambda_{θ}_{term}` per effect, `c_sq_{θ}_{term}`) or NEG's √ψ (`zeta_{θ}_{term}`,
 * `psi_{θ}_{term}`), `models/shrinkage.ts`; the effect `log_{θ}_{term}_effect` is then a
 * deterministic site of the model (and a derived value of posterior draws). {term} is the
 * factor's name, or `{f}_x_{h}` for an interaction. With a few real effects among many null
 * ones, the horseshoe pulls the null effects toward 0 much harder than a Gaussian of one shared
 * scale, while its heavy tails leave the real effects almost unshrunk.
 *
 * The base as a gene-level hierarchy (`{ base: "gaussian" | "horseshoe" | "neg" }`, the value
 * `priors.mean_expression` itself would take): β is shrunk toward a population location
 * `log_{θ}_base_loc` (per gene for the expression target, whose per-component bases of a
 * mixture it pools; scalar for phi) by the gene-level hierarchy's own sites (`sites.ts`
 * `hierarchySites`: `log_{θ}_base_scale`, or the horseshoe / NEG hyper-sites under the prefix
 * `{θ}_base` and `{θ}_base_raw`, β then a deterministic site).
 *
 * Mixtures: a target that is a mixture parameter gets per-component bases and effects
 * ([K, G], [K, L_f − 1, G], …) so θ has SCRIBE's dataset shape (K, D, G) (SCRIBE multi-dataset
 * designs): each component (cell type) has its own per-dataset values, hence its own factor
 * effects.
 *
 * This module holds only data and tensor maths (no model imports), so `models/datasets.ts` can
 * use it without a cycle.
 * @module
 */
import { concat, fromTypedArray, type Tensor, zeros } from "@scribe/core";
import { type GroupLevelEffect, withGroupLevelEffects } from "../models/group-levels.js";
import {
  type HierarchySpec,
  interactionIndex,
  interactionLevel,
  type LevelFamily,
  unknownLevelError,
} from "../models/priors.js";
import { shrinkageScale, shrunkValue } from "../models/shrinkage.js";

/** The factor design as options carry it (JSON-safe; `fit()` fills it from a list `datasetKey`). */
export interface DatasetFactorOptions {
  /** Factor names (obs columns), in crossing order. */
  readonly names: readonly string[];
  /** Each factor's level names, in index order (level 0 is the reference). */
  readonly levels: readonly (readonly string[])[];
  /** Pairs of factor names with an interaction term. */
  readonly interactions?: readonly (readonly [string, string])[];
  /**
   * Nested factors, child → parent (SCRIBE `hierarchy`; e.g. `{ donor: "batch" }`: each donor
   * belongs to one batch, and its effect is drawn around its batch's). See the module notes.
   */
  readonly hierarchy?: Readonly<Record<string, string>>;
  /**
   * The level indices (one per factor) of each dataset, when the datasets are only the present
   * combinations (`fit()` with `hierarchy`); default: every combination, row-major.
   */
  readonly combinations?: readonly (readonly number[])[];
  /**
   * Each factor's effect type (SCRIBE's structural `hierarchy` list, `models/group-levels.ts`),
   * for every dataset parameter: as `priors` `{ factor: { effect_type, fixed_scale } }` levels.
   */
  readonly effects?: Readonly<Record<string, GroupLevelEffect>>;
}

/** The resolved factor design. */
export interface DatasetFactors {
  readonly names: readonly string[];
  readonly levels: readonly (readonly string[])[];
  /** Level of factor f in dataset d: codes[f][d]. */
  readonly codes: readonly Int32Array[];
  /** Interacting factor index pairs. */
  readonly interactions: readonly (readonly [number, number])[];
  /** Parent factor index of each factor (−1: crossed, a reference-coded fixed effect). */
  readonly parents: readonly number[];
  /**
   * The prior family of each term's effects, per target (`priors` `{ level: family }`): the
   * factors, then the interactions; a missing target or a null entry: the default (crossed and
   * interactions: fixed N(0, 1); nested: gaussian).
   */
  readonly families?: Readonly<Record<string, readonly (LevelFamily | null)[]>>;
  /** A gene-level hierarchy on each target's base β (`priors` `{ base: family }`), by target. */
  readonly baseFamilies?: Readonly<Record<string, HierarchySpec>>;
}

/** Positive parameters that can take factor effects (log link). */
const FACTOR_TARGETS = ["mu", "r", "phi"] as const;

/** The datasets' level codes [F][D]: the given combinations, or all of them row-major. */
function datasetCodes(opts: DatasetFactorOptions, sizes: readonly number[], nDatasets: number): Int32Array[] {
  const { names, combinations } = opts;
  if (combinations) {
    if (combinations.length !== nDatasets)
      throw new Error(
        `datasetFactors: ${combinations.length} level combinations given, but the design has ${nDatasets} datasets`,
      );
    const codes = sizes.map(() => new Int32Array(nDatasets));
    const seen = new Set<string>();
    combinations.forEach((combo, d) => {
      if (combo.length !== sizes.length)
        throw new Error(
          `datasetFactors: combination ${d} has ${combo.length} levels, expected ${sizes.length}`,
        );
      combo.forEach((l, f) => {
        if (!Number.isInteger(l) || l < 0 || l >= sizes[f]!)
          throw new Error(
            `datasetFactors: combination ${d} gives factor '${names[f]}' level ${l}, outside [0, ${sizes[f]})`,
          );
        codes[f]![d] = l;
      });
      const k = combo.join(",");
      if (seen.has(k)) throw new Error(`datasetFactors: combination [${k}] is given twice`);
      seen.add(k);
    });
    return codes;
  }
  const D = sizes.reduce((a, b) => a * b, 1);
  if (D !== nDatasets)
    throw new Error(
      `datasetFactors: ${sizes.join(" × ")} = ${D} level combinations, but the design has ${nDatasets} datasets`,
    );
  const codes = sizes.map(() => new Int32Array(D));
  for (let d = 0; d < D; d++)
    combinationLevels(d, sizes).forEach((l, f) => {
      codes[f]![d] = l;
    });
  return codes;
}

/**
 * Parent index of each factor from `hierarchy` (child → parent names), checked: both names are
 * factors, no factor is its own ancestor, and each level of a child occurs with one level of
 * its parent only (nesting, e.g. a donor in one batch).
 */
function resolveHierarchy(opts: DatasetFactorOptions, codes: readonly Int32Array[]): number[] {
  const { names, levels } = opts;
  const parents = names.map(() => -1);
  const h = opts.hierarchy ?? {};
  if (typeof h !== "object" || Array.isArray(h))
    throw new Error(
      `hierarchy must map each nested factor to its parent factor ({ child: "parent" }), got ${JSON.stringify(h)}`,
    );
  for (const [child, parent] of Object.entries(h)) {
    const c = names.indexOf(child);
    const p = names.indexOf(parent);
    if (c < 0 || p < 0 || c === p)
      throw new Error(
        `hierarchy: ${JSON.stringify(child)} nested in ${JSON.stringify(parent)} must name two different factors of datasetKey (${names.join(", ")})`,
      );
    parents[c] = p;
  }
  parents.forEach((_, f) => {
    let a = parents[f]!;
    for (let steps = 0; a >= 0; steps++) {
      if (a === f || steps > names.length)
        throw new Error(`hierarchy: factor '${names[f]}' is nested in itself (a cycle)`);
      a = parents[a]!;
    }
  });
  parents.forEach((p, f) => {
    if (p < 0) return;
    const parentOf = new Map<number, number>();
    codes[f]!.forEach((l, d) => {
      const pl = codes[p]![d]!;
      const known = parentOf.get(l);
      if (known !== undefined && known !== pl)
        throw new Error(
          `hierarchy: '${names[f]}' level '${levels[f]![l]}' occurs in '${names[p]}' levels '${levels[p]![known]}' and '${levels[p]![pl]}'; a nested level belongs to one parent level (cross the factors instead)`,
        );
      parentOf.set(l, pl);
    });
  });
  return parents;
}

/**
 * Check a factor design against D datasets and the dataset parameters; null without factors.
 * Refuses a design whose combinations do not number D, non-positive targets (p, gate), bad
 * nesting, and interactions of a nested factor (its levels already have their own effects).
 */
export function resolveFactors(
  opts: DatasetFactorOptions | undefined,
  nDatasets: number,
  params: readonly string[],
  levelFamilies: Readonly<Record<string, Readonly<Record<string, LevelFamily>>>> = {},
  levelBase: Readonly<Record<string, HierarchySpec>> = {},
): DatasetFactors | null {
  if (opts?.effects)
    levelFamilies = withGroupLevelEffects(levelFamilies, opts.effects, params, opts.names ?? []);
  const withLevels = [...new Set([...Object.keys(levelFamilies), ...Object.keys(levelBase)])];
  if (!opts) {
    if (withLevels.length)
      throw new Error(
        `priors: per-level families (${withLevels.map((t) => `'${t}'`).join(", ")}) need a dataset design with several factors (a list datasetKey, or hierarchy); a single dataset column has no factor levels`,
      );
    return null;
  }
  const { names, levels } = opts;
  if (!Array.isArray(names) || names.length < 1 || levels.length !== names.length)
    throw new Error("datasetFactors: give one level list per factor name");
  const sizes = levels.map((l, f) => {
    if (l.length < 1) throw new Error(`datasetFactors: factor '${names[f]}' has no levels`);
    return l.length;
  });
  const codes = datasetCodes(opts, sizes, nDatasets);
  for (const p of params)
    if (!(FACTOR_TARGETS as readonly string[]).includes(p))
      throw new Error(
        `datasetParams: '${p}' cannot take multi-factor effects (additive in log space: only ${FACTOR_TARGETS.join(", ")})`,
      );
  const parents = resolveHierarchy(opts, codes);
  const interactions = (opts.interactions ?? []).map(([a, b]) => {
    const i = names.indexOf(a);
    const j = names.indexOf(b);
    if (i < 0 || j < 0 || i === j)
      throw new Error(
        `interactions: [${JSON.stringify(a)}, ${JSON.stringify(b)}] must name two different factors of datasetKey (${names.join(", ")})`,
      );
    if (parents[i]! >= 0 || parents[j]! >= 0)
      throw new Error(
        `interactions: [${JSON.stringify(a)}, ${JSON.stringify(b)}] involves a nested factor (hierarchy), whose levels each have their own effect already`,
      );
    return [Math.min(i, j), Math.max(i, j)] as const;
  });
  const pairs = interactions.map(([i, j]) => [names[i]!, names[j]!] as const);
  const families: Record<string, (LevelFamily | null)[]> = {};
  for (const t of withLevels) {
    if (!params.includes(t))
      throw new Error(
        `priors: per-level families for '${t}', which is not a dataset parameter (datasetParams: ${params.join(", ")})`,
      );
    const byLevel = levelFamilies[t] ?? {};
    for (const level of Object.keys(byLevel))
      if (!names.includes(level) && interactionIndex(level, pairs) < 0)
        throw unknownLevelError(
          "priors",
          t,
          level,
          names,
          pairs.map(([a, b]) => interactionLevel(a, b)),
        );
    const byTerm: (LevelFamily | null)[] = names.map((n) => byLevel[n] ?? null);
    for (const _ of pairs) byTerm.push(null);
    for (const [level, h] of Object.entries(byLevel)) {
      const k = interactionIndex(level, pairs);
      if (k >= 0) byTerm[names.length + k] = h;
    }
    families[t] = byTerm;
  }
  return {
    names: [...names],
    levels: levels.map((l) => [...l]),
    codes,
    interactions,
    parents,
    ...(Object.keys(families).length ? { families } : {}),
    ...(Object.keys(levelBase).length ? { baseFamilies: { ...levelBase } } : {}),
  };
}

/** The fixed N(0, 1) prior of crossed factors' and interactions' effects by default. */
const DEFAULT_FIXED: LevelFamily = { family: "fixed", scale: 1 };

/**
 * The prior family of term `term`'s effects on `target` (terms: the factors, then the
 * interactions): the given one, else gaussian for a nested factor and fixed N(0, 1) otherwise.
 */
export function factorFamily(factors: DatasetFactors, target: string, term: number): LevelFamily {
  const given = factors.families?.[target]?.[term];
  if (given) return given;
  return term < factors.names.length && factors.parents[term]! >= 0 ? { family: "gaussian" } : DEFAULT_FIXED;
}

/** Whether a family is one of the non-centred shrinkage families (horseshoe, NEG). */
function isShrinkage(
  h: LevelFamily | undefined,
): h is Extract<HierarchySpec, { family: "horseshoe" | "neg" }> {
  return h?.family === "horseshoe" || h?.family === "neg";
}

/** The cell's dataset (combination index) from its per-factor level indices. */
export function combinationIndex(levelIndices: readonly number[], sizes: readonly number[]): number {
  return levelIndices.reduce((d, l, f) => d * sizes[f]! + l, 0);
}

/** The per-factor level indices of combination `d` (inverse of {@link combinationIndex}). */
export function combinationLevels(d: number, sizes: readonly number[]): number[] {
  const out = new Array<number>(sizes.length);
  let rest = d;
  for (let f = sizes.length - 1; f >= 0; f--) {
    out[f] = rest % sizes[f]!;
    rest = Math.floor(rest / sizes[f]!);
  }
  return out;
}

/**
 * Site names of a factor target, by term (the factors, then the interactions): the base, each
 * term's effects (a site of the gaussian and fixed families; a deterministic value computed
 * from `raws` for horseshoe / NEG), each term's gaussian scale (else null), the prefix of its
 * horseshoe / NEG hyper-sites and its `_raw` site (else null); `interactions`: the interaction
 * terms' effects again (the tail of `effects`); `base`: the sites of a gene-level hierarchy on
 * the base (its population location, the prefix of its hyper-sites), or null.
 */
export function factorSiteNames(
  factors: DatasetFactors,
  target: string,
): {
  loc: string;
  effects: string[];
  scales: (string | null)[];
  shrinkagePrefixes: (string | null)[];
  raws: (string | null)[];
  interactions: string[];
  base: { loc: string; prefix: string } | null;
} {
  const termNames = [
    ...factors.names,
    ...factors.interactions.map(([i, j]) => `${factors.names[i]}_x_${factors.names[j]}`),
  ];
  const family = (f: number) => factorFamily(factors, target, f).family;
  const ncp = (f: number) => family(f) === "horseshoe" || family(f) === "neg";
  const effects = termNames.map((n) => `log_${target}_${n}_effect`);
  return {
    loc: `log_${target}_loc`,
    effects,
    scales: termNames.map((n, f) => (family(f) === "gaussian" ? `log_${target}_${n}_scale` : null)),
    shrinkagePrefixes: termNames.map((n, f) => (ncp(f) ? `${target}_${n}` : null)),
    raws: termNames.map((n, f) => (ncp(f) ? `${target}_${n}_raw` : null)),
    interactions: effects.slice(factors.names.length),
    base: factors.baseFamilies?.[target] ? { loc: `log_${target}_base_loc`, prefix: `${target}_base` } : null,
  };
}

/**
 * The names of a design's deterministic values (for the model's trace and posterior draws): each
 * horseshoe / NEG term's effect, and a base under a horseshoe / NEG hierarchy.
 */
export function factorDeterministicNames(factors: DatasetFactors, targets: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of targets) {
    const n = factorSiteNames(factors, t);
    if (isShrinkage(factors.baseFamilies?.[t])) out.push(n.loc);
    n.raws.forEach((raw, f) => {
      if (raw) out.push(n.effects[f]!);
    });
  }
  return out;
}

/**
 * Shapes of the effect sites, after `lead` (the component axis [K] of a mixture target, or []),
 * by term: [L_f − 1, G] per crossed factor, [L_f, G] per nested factor, [(L_f − 1)(L_h − 1), G]
 * per interaction (`effects`: all terms; `interactions`: the interactions' again).
 */
export function factorEffectShapes(
  factors: DatasetFactors,
  nGenes: number,
  lead: readonly number[] = [],
): { effects: number[][]; interactions: number[][] } {
  const L = factors.levels.map((l) => l.length);
  const interactions = factors.interactions.map(([i, j]) => [...lead, (L[i]! - 1) * (L[j]! - 1), nGenes]);
  return {
    effects: [...L.map((n, f) => [...lead, factors.parents[f]! >= 0 ? n : n - 1, nGenes]), ...interactions],
    interactions,
  };
}

/**
 * `values` with every factor target θ [lead…, K?, D, G] = exp(β + Σ effects) added (module
 * notes), unless already present (a derived draw that holds it), and with the deterministic
 * values of {@link factorDeterministicNames} (horseshoe / NEG effects and base) that it computes
 * on the way. `lead`: leading sample axes; `withComponents`: the targets that are mixture
 * parameters (a component axis K after `lead`).
 */
export function withFactorValues(
  factors: DatasetFactors,
  targets: readonly string[],
  values: Readonly<Record<string, Tensor>>,
  lead: number,
  withComponents: readonly string[] = [],
): Record<string, Tensor> {
  const out: Record<string, Tensor> = { ...values };
  const L = factors.levels.map((l) => l.length);
  const F = factors.names.length;
  const D = factors.codes[0]!.length;
  for (const t of targets) {
    if (out[t]) continue;
    const names = factorSiteNames(factors, t);
    const hasK = withComponents.includes(t);
    // the rank of one draw of the base [K?, G] and of an effect [K?, levels, G]
    const baseRank = (hasK ? 1 : 0) + 1;
    const baseFamily = factors.baseFamilies?.[t];
    if (isShrinkage(baseFamily) && !out[names.loc])
      out[names.loc] = shrunkValue(values, names.base!.prefix, names.base!.loc, baseFamily, baseRank);
    const base = out[names.loc];
    if (!base) throw new Error(`multi-factor '${t}': no value for site '${names.loc}'`);
    // the level axis of the effects: after the sample axes and the component axis
    const axis = lead + (hasK ? 1 : 0);
    const shape = [...base.shape];
    const G = shape[shape.length - 1]!;
    // a reference-coded effect [.., n, G] with its zero row put back, gathered at `codes` → [.., D, G]
    const zeroRow = zeros([...shape.slice(0, axis), 1, G], base.dtype);
    const gathered = (e: Tensor, codes: Int32Array, referenceCoded: boolean) =>
      (referenceCoded ? concat([zeroRow, e], axis) : e).gather(fromTypedArray(codes, [codes.length]), axis);
    const effect = (f: number): Tensor => {
      const name = names.effects[f]!;
      const prefix = names.shrinkagePrefixes[f];
      if (prefix && !out[name]) {
        const h = factorFamily(factors, t, f);
        if (!isShrinkage(h))
          throw new Error(`multi-factor '${t}': a ${h.family} effect has no ${prefix}_raw`);
        out[name] = shrinkageScale(values, prefix, h, baseRank + 1).mul(need(names.raws[f]!));
      }
      return need(name);
    };
    const need = (name: string) => {
      const e = out[name];
      if (!e) throw new Error(`multi-factor '${t}': no value for site '${name}'`);
      return e;
    };
    let logTheta = base.unsqueeze(axis);
    factors.names.forEach((_, f) => {
      const nested = factors.parents[f]! >= 0;
      if (!nested && L[f]! < 2) return; // a one-level crossed factor has no effect
      logTheta = logTheta.add(gathered(effect(f), factors.codes[f]!, !nested));
    });
    factors.interactions.forEach(([i, j], n) => {
      if (L[i]! < 2 || L[j]! < 2) return; // no non-reference pair: no effect
      // pair code (l_i − 1)(L_j − 1) + (l_j − 1) when both levels are non-reference, else the zero row 0
      const codes = new Int32Array(D);
      for (let d = 0; d < D; d++) {
        const li = factors.codes[i]![d]!;
        const lj = factors.codes[j]![d]!;
        codes[d] = li > 0 && lj > 0 ? 1 + (li - 1) * (L[j]! - 1) + (lj - 1) : 0;
      }
      logTheta = logTheta.add(gathered(effect(F + n), codes, true));
    });
    out[t] = logTheta.exp();
  }
  return out;
}
