/**
 * SCRIBE's structural form of a multi-factor design (`hierarchy=[GroupLevel("treatment"),
 * GroupLevel("sample", nested_in="treatment", effect_type="fixed", fixed_scale=…)]`, upstream
 * `models/config/grouping.py`): a list of factors, each with its parent (if nested) and the
 * type of its effects, in place of a `datasetKey` list and a child → parent map.
 * {@link datasetDesign} reads fit()'s `datasetKey` and `hierarchy` (either form) into the factor
 * columns, the child → parent map and the factors' effect types; the effect types travel in the
 * model's `datasetFactors.effects` and {@link withGroupLevelEffects} applies them to every
 * dataset parameter where the per-level priors are resolved (`families/dataset-factors.ts`
 * `resolveFactors`), as the `{ effect_type, fixed_scale }` entries of `priors` levels would
 * (`priors.ts` `levelFamilyFrom`).
 * @module
 */
import { datasetKeyColumns } from "./dataset-key.js";
import { type LevelFamily, levelFamilyFrom } from "./priors.js";

/** One factor of SCRIBE's structural `hierarchy` list (upstream `GroupLevel`). */
export interface GroupLevel {
  /** The obs column of the factor. */
  readonly name: string;
  /** The factor it is nested in (declared before it in the list). */
  readonly nested_in?: string;
  /** "random" (default): effects with a learned scale; "fixed": N(0, fixed_scale). */
  readonly effect_type?: "random" | "fixed";
  /** The scale of "fixed" effects (default 1). */
  readonly fixed_scale?: number;
}

/** The effect type of one factor, as a `priors` level entry takes it. */
export interface GroupLevelEffect {
  readonly effect_type: "random" | "fixed";
  readonly fixed_scale?: number;
}

/** A structural design read by {@link groupLevelDesign}. */
export interface GroupLevelDesign {
  /** The factor columns, in declaration order (our `datasetKey`). */
  readonly datasetKey: string[];
  /** Child → parent of the nested factors (our `hierarchy`). */
  readonly hierarchy: Record<string, string>;
  /** Each factor's effect type (SCRIBE's default "random": a learned scale). */
  readonly effects: Record<string, GroupLevelEffect>;
}

const GROUP_LEVEL_KEYS = ["name", "nested_in", "effect_type", "fixed_scale"];

/**
 * Read SCRIBE's structural `hierarchy` list: each entry a factor name or
 * `{ name, nested_in?, effect_type?, fixed_scale? }`, checked as upstream checks it (names
 * unique, a parent declared before its child and not the factor itself, effect_type "random"
 * or "fixed", fixed_scale positive and only with "fixed"). `where` names the option in errors.
 * @example
 * groupLevelDesign([{ name: "treat", effect_type: "fixed", fixed_scale: 2 }, { name: "donor", nested_in: "treat" }]).hierarchy; // { donor: "treat" }
 */
export function groupLevelDesign(levels: unknown, where = "hierarchy"): GroupLevelDesign {
  if (!Array.isArray(levels) || levels.length === 0)
    throw new Error(
      `${where}: expected a list of factors ({ name, nested_in?, effect_type?, fixed_scale? })`,
    );
  const datasetKey: string[] = [];
  const hierarchy: Record<string, string> = {};
  const effects: Record<string, GroupLevelEffect> = {};
  levels.forEach((entry, i) => {
    const at = `${where}[${i}]`;
    const o: Record<string, unknown> =
      typeof entry === "string" ? { name: entry } : (entry as Record<string, unknown>);
    if (typeof o !== "object" || o === null || Array.isArray(o))
      throw new Error(`${at}: expected a factor name or { name, nested_in?, effect_type?, fixed_scale? }`);
    const extra = Object.keys(o).filter((k) => !GROUP_LEVEL_KEYS.includes(k));
    if (extra.length)
      throw new Error(
        `${at}: unknown field(s) ${extra.join(", ")}; a factor takes ${GROUP_LEVEL_KEYS.join(", ")}`,
      );
    const name = o.name;
    if (typeof name !== "string" || name === "")
      throw new Error(`${at}: the factor needs a name (an obs column)`);
    if (datasetKey.includes(name)) throw new Error(`${at}: factor '${name}' is declared twice`);
    const parent = o.nested_in;
    if (parent !== undefined && parent !== null) {
      if (parent === name) throw new Error(`${at}: factor '${name}' cannot be nested in itself`);
      if (typeof parent !== "string" || !datasetKey.includes(parent))
        throw new Error(
          `${at}: factor '${name}' is nested_in ${JSON.stringify(parent)}, which is not a factor declared before it (${datasetKey.join(", ") || "none"}); declare the parent first`,
        );
      hierarchy[name] = parent;
    }
    const type = o.effect_type ?? "random";
    if (type !== "random" && type !== "fixed")
      throw new Error(`${at}: effect_type must be "random" or "fixed", got ${JSON.stringify(type)}`);
    const scale = o.fixed_scale;
    if (scale !== undefined && scale !== null) {
      if (typeof scale !== "number" || !Number.isFinite(scale) || !(scale > 0))
        throw new Error(`${at}: fixed_scale must be a positive number, got ${JSON.stringify(scale)}`);
      if (type !== "fixed")
        throw new Error(
          `${at}: fixed_scale applies to effect_type "fixed" (a "random" effect learns its scale)`,
        );
    }
    datasetKey.push(name);
    effects[name] =
      typeof scale === "number" ? { effect_type: type, fixed_scale: scale } : { effect_type: type };
  });
  return { datasetKey, hierarchy, effects };
}

/** What {@link datasetDesign} reads from fit()'s `datasetKey` and `hierarchy`. */
export interface DatasetDesign {
  /** The factor columns (none without a dataset design). */
  readonly columns: string[];
  /** Child → parent of the nested factors; absent when none is nested. */
  readonly hierarchy?: Record<string, string>;
  /** The factors' effect types (the structural form only). */
  readonly effects?: Record<string, GroupLevelEffect>;
}

/**
 * The dataset design of fit()'s options: `datasetKey` (a column, "a,b" or a list) with
 * `hierarchy` as a child → parent map, or `hierarchy` as SCRIBE's structural list
 * ({@link groupLevelDesign}), which names the columns itself: a `datasetKey` given beside it must
 * list the same columns in the same order. A list of one factor is the single-column design
 * (its per-dataset hierarchy has a learned scale: effect_type "random"); "fixed" there needs
 * several factors. `where` names the `hierarchy` option in errors.
 * @throws Error naming both options where they disagree, or the entry of a bad list.
 * @example
 * datasetDesign({ hierarchy: ["treat", { name: "donor", nested_in: "treat" }] }).columns; // ["treat", "donor"]
 */
export function datasetDesign(
  opts: {
    readonly datasetKey?: string | readonly string[];
    readonly hierarchy?: Readonly<Record<string, string>> | readonly (string | GroupLevel)[];
  },
  where = "hierarchy",
): DatasetDesign {
  const given = datasetKeyColumns(opts.datasetKey);
  const h = opts.hierarchy;
  if (!Array.isArray(h)) {
    if (h !== undefined && (typeof h !== "object" || h === null))
      throw new Error(
        `${where}: expected a child → parent map ({ donor: "batch" }) or a list of factors ({ name, nested_in?, effect_type?, fixed_scale? }), got ${JSON.stringify(h)}`,
      );
    return { columns: given, ...(h ? { hierarchy: { ...(h as Record<string, string>) } } : {}) };
  }
  const d = groupLevelDesign(h, where);
  if (opts.datasetKey !== undefined && given.join(",") !== d.datasetKey.join(","))
    throw new Error(
      `datasetKey ${JSON.stringify(given.join(","))} and ${where} (factors ${d.datasetKey.join(", ")}) name different factors; the ${where} list names the columns itself: leave datasetKey out or give the same columns in the same order`,
    );
  if (d.datasetKey.length === 1) {
    const only = d.effects[d.datasetKey[0]!]!;
    if (only.effect_type === "fixed")
      throw new Error(
        `${where}[0]: factor '${d.datasetKey[0]}' alone is a single dataset column, whose per-dataset values have a learned scale (effect_type "random"); effect_type "fixed" needs several factors`,
      );
    return { columns: d.datasetKey };
  }
  return {
    columns: d.datasetKey,
    ...(Object.keys(d.hierarchy).length ? { hierarchy: d.hierarchy } : {}),
    effects: d.effects,
  };
}

/**
 * The per-level families of a factor design with each factor's effect type (`effects`) given
 * to every target in `targets` (the dataset parameters): `levelFamilies` (from `priors`
 * `{ level: family }` values, by target and level) with an entry added for each factor it does
 * not name. A family the priors already give a "random" factor stays (a family is a way of
 * learning its scale); for a "fixed" one the two must agree, else an error naming both.
 * `factors`: the design's factor names (an effect for another name is an error).
 */
export function withGroupLevelEffects(
  levelFamilies: Readonly<Record<string, Readonly<Record<string, LevelFamily>>>>,
  effects: Readonly<Record<string, GroupLevelEffect>>,
  targets: readonly string[],
  factors: readonly string[],
): Record<string, Record<string, LevelFamily>> {
  const out: Record<string, Record<string, LevelFamily>> = {};
  for (const [t, byLevel] of Object.entries(levelFamilies)) out[t] = { ...byLevel };
  for (const [factor, effect] of Object.entries(effects)) {
    if (!factors.includes(factor))
      throw new Error(
        `datasetFactors.effects: '${factor}' is not a factor of the design (${factors.join(", ")})`,
      );
    const family = levelFamilyFrom(`datasetFactors.effects.${factor}`, effect)!;
    for (const t of targets) {
      out[t] ??= {};
      const byLevel = out[t];
      const given = byLevel[factor];
      if (given === undefined) byLevel[factor] = family;
      else if (effect.effect_type === "fixed" && JSON.stringify(given) !== JSON.stringify(family))
        throw new Error(
          `priors for '${t}' give factor '${factor}' the family ${JSON.stringify(given)}, but the hierarchy gives it effect_type "fixed" (${JSON.stringify(effect)}: a fixed scale, no learned shrinkage); give one or the other`,
        );
    }
  }
  return out;
}
