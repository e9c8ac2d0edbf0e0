/**
 * Multi-factor dataset designs (SCRIBE `dataset_key` as a list → crossed factors, with
 * `interactions`; spec scribe.md §2.7: "additive per-factor effects in log space (exp link
 * forced)"). The datasets are the crossed level combinations of F factors, row-major
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
 * Per-factor prior families (`priors: { mean_expression: { batch: "horseshoe", donor:
 * "gaussian" } }`, spec §2.2's `{ level: family }`): a factor with a family gets effects with a
 * learned shrinkage instead of the default (crossed: fixed N(0, 1); nested: gaussian). The coding
 * stays (reference-coded for a crossed factor, every level for a nested one); only the effects'
 * prior changes. "gaussian": centred, γ^f ~ N(0, σ^f) with `log_{θ}_{f}_scale` = softplus(N(−2,
 * 0.5)) as for nested factors. "horseshoe" / "neg": non-centred (spec §2.3), γ^f = s ⊙ z with
 * z = `{θ}_{f}_raw` ~ N(0, 1) of the effect's shape and s the regularized horseshoe's
 * τ·c·λ/√(c² + τ²λ²) (`tau_{θ}_{f}`, `lambda_{θ}_{f}` per effect, `c_sq_{θ}_{f}`) or NEG's √ψ
 * (`zeta_{θ}_{f}`, `psi_{θ}_{f}`), `models/shrinkage.ts`; the effect `log_{θ}_{f}_effect` then
 * has no site of its own. With a few real effects among many null ones, the horseshoe pulls
 * the null effects toward 0 much harder than a Gaussian of one shared scale, while its heavy
 * tails leave the real effects almost unshrunk.
 *
 * Mixtures: a target that is a mixture parameter gets per-component bases and effects
 * ([K, G], [K, L_f − 1, G], …) so θ has SCRIBE's dataset shape (K, D, G) (spec §2.7): each
 * component (cell type) has its own per-dataset values, hence its own factor effects.
 *
 * This module holds only data and tensor maths (no model imports), so `models/datasets.ts` can
 * use it without a cycle.
 * @module
 */
import { concat, fromTypedArray, type Tensor, zeros } from "@scribe/core";
import type { HierarchySpec } from "../models/priors.js";
import { shrinkageScale } from "../models/shrinkage.js";

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
   * The prior family of each factor's effects, per target (`priors` `{ level: family }`); a
   * missing target or a null entry: the default (crossed: fixed N(0, 1); nested: gaussian).
   */
  readonly families?: Readonly<Record<string, readonly (HierarchySpec | null)[]>>;
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
  levelFamilies: Readonly<Record<string, Readonly<Record<string, HierarchySpec>>>> = {},
): DatasetFactors | null {
  const withLevels = Object.keys(levelFamilies);
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
  const families: Record<string, (HierarchySpec | null)[]> = {};
  for (const [t, byLevel] of Object.entries(levelFamilies)) {
    if (!params.includes(t))
      throw new Error(
        `priors: per-level families for '${t}', which is not a dataset parameter (datasetParams: ${params.join(", ")})`,
      );
    for (const level of Object.keys(byLevel))
      if (!names.includes(level))
        throw new Error(
          `priors: per-level family for unknown level '${level}' of '${t}'; the grouping factors are ${names.join(", ")} (or the reserved key "base")`,
        );
    families[t] = names.map((n) => byLevel[n] ?? null);
  }
  return {
    names: [...names],
    levels: levels.map((l) => [...l]),
    codes,
    interactions,
    parents,
    ...(Object.keys(families).length ? { families } : {}),
  };
}

/**
 * The prior family of factor f's effects on `target`: the given one, else gaussian for a nested
 * factor and null (fixed N(0, 1)) for a crossed one.
 */
export function factorFamily(factors: DatasetFactors, target: string, f: number): HierarchySpec | null {
  return factors.families?.[target]?.[f] ?? (factors.parents[f]! >= 0 ? { family: "gaussian" } : null);
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
 * Site names of a factor target: the base, each factor's effects (a site of the gaussian and
 * fixed families; a value computed from `raws` for horseshoe / NEG), each factor's gaussian scale
 * (else null), the prefix of its horseshoe / NEG hyper-sites and its `_raw` site (else null),
 * each interaction's.
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
} {
  const family = (f: number) => factorFamily(factors, target, f)?.family ?? null;
  const ncp = (f: number) => family(f) === "horseshoe" || family(f) === "neg";
  return {
    loc: `log_${target}_loc`,
    effects: factors.names.map((n) => `log_${target}_${n}_effect`),
    scales: factors.names.map((n, f) => (family(f) === "gaussian" ? `log_${target}_${n}_scale` : null)),
    shrinkagePrefixes: factors.names.map((n, f) => (ncp(f) ? `${target}_${n}` : null)),
    raws: factors.names.map((n, f) => (ncp(f) ? `${target}_${n}_raw` : null)),
    interactions: factors.interactions.map(
      ([i, j]) => `log_${target}_${factors.names[i]}_x_${factors.names[j]}_effect`,
    ),
  };
}

/**
 * Shapes of the effect sites, after `lead` (the component axis [K] of a mixture target, or []):
 * [L_f − 1, G] per crossed factor, [L_f, G] per nested factor, [(L_f − 1)(L_h − 1), G] per
 * interaction.
 */
export function factorEffectShapes(
  factors: DatasetFactors,
  nGenes: number,
  lead: readonly number[] = [],
): { effects: number[][]; interactions: number[][] } {
  const L = factors.levels.map((l) => l.length);
  return {
    effects: L.map((n, f) => [...lead, factors.parents[f]! >= 0 ? n : n - 1, nGenes]),
    interactions: factors.interactions.map(([i, j]) => [...lead, (L[i]! - 1) * (L[j]! - 1), nGenes]),
  };
}

/**
 * `values` with every factor target θ [lead…, K?, D, G] = exp(β + Σ effects) added (module
 * notes), unless already present (a derived draw that holds it). `lead`: leading sample axes;
 * `withComponents`: the targets that are mixture parameters (a component axis K after `lead`).
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
  const D = factors.codes[0]!.length;
  for (const t of targets) {
    if (out[t]) continue;
    const names = factorSiteNames(factors, t);
    const base = values[names.loc];
    if (!base) throw new Error(`multi-factor '${t}': no value for site '${names.loc}'`);
    // the level axis of the effects: after the sample axes and the component axis
    const axis = lead + (withComponents.includes(t) ? 1 : 0);
    const shape = [...base.shape];
    const G = shape[shape.length - 1]!;
    // a reference-coded effect [.., n, G] with its zero row put back, gathered at `codes` → [.., D, G]
    const zeroRow = zeros([...shape.slice(0, axis), 1, G], base.dtype);
    const gathered = (e: Tensor, codes: Int32Array, referenceCoded: boolean) =>
      (referenceCoded ? concat([zeroRow, e], axis) : e).gather(fromTypedArray(codes, [codes.length]), axis);
    const need = (name: string) => {
      const e = values[name];
      if (!e) throw new Error(`multi-factor '${t}': no value for site '${name}'`);
      return e;
    };
    // the rank of one draw of an effect: [K?, levels, G]
    const effectRank = base.rank - lead + 1;
    const effect = (f: number): Tensor => {
      const prefix = names.shrinkagePrefixes[f];
      if (!prefix) return need(names.effects[f]!);
      const h = factorFamily(factors, t, f)!;
      if (h.family === "gaussian")
        throw new Error(`multi-factor '${t}': a gaussian effect has no ${prefix}_raw`);
      return shrinkageScale(values, prefix, h, effectRank).mul(need(names.raws[f]!));
    };
    let logTheta = base.unsqueeze(axis);
    factors.names.forEach((_, f) => {
      const nested = factors.parents[f]! >= 0;
      if (!nested && L[f]! < 2) return; // a one-level crossed factor has no effect
      logTheta = logTheta.add(gathered(effect(f), factors.codes[f]!, !nested));
    });
    factors.interactions.forEach(([i, j], n) => {
      // pair code (l_i − 1)(L_j − 1) + (l_j − 1) when both levels are non-reference, else the zero row 0
      const codes = new Int32Array(D);
      for (let d = 0; d < D; d++) {
        const li = factors.codes[i]![d]!;
        const lj = factors.codes[j]![d]!;
        codes[d] = li > 0 && lj > 0 ? 1 + (li - 1) * (L[j]! - 1) + (lj - 1) : 0;
      }
      logTheta = logTheta.add(gathered(need(names.interactions[n]!), codes, true));
    });
    out[t] = logTheta.exp();
  }
  return out;
}
