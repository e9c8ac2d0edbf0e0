/**
 * SCRIBE's structural form of a multi-factor design (`hierarchy=[GroupLevel("treatment"),
 * GroupLevel("sample", nested_in="treatment", effect_type="fixed", fixed_scale=…)]`, upstream
 * `models/config/grouping.py`): a list of factors, each with its parent (if nested) and the
 * type of its effects, in place of a `datasetKey` list. {@link groupLevelDesign} reads it into
 * the pieces of our options (the factor columns, the child → parent map of `hierarchy`) and
 * {@link withGroupLevelEffects} writes each factor's effect type into the `priors` levels of the
 * dataset parameters, where `{ effect_type, fixed_scale }` entries already mean the same
 * (`priors.ts` `levelFamilyFrom`).
 * @module
 */
import type { Parameterization } from "./config.js";
import { isLevelPriors, type LevelPriors, levelTarget, type PriorsInput, type PriorValue } from "./priors.js";

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

/**
 * `priors` with each factor's effect type as a level entry of every target in `targets` (the
 * dataset parameters, by site name): into the target's existing `{ level: family }` value
 * (matched by `levelTarget`, so `mean_expression` counts for mu or r) or a new one under the
 * target's name. A family the priors already give a factor stays when the factor's effects are
 * "random" (a family is a way of learning its scale); with "fixed" the two disagree: an error
 * naming both.
 */
export function withGroupLevelEffects(
  priors: PriorsInput | undefined,
  design: GroupLevelDesign,
  targets: readonly string[],
  parameterization: Parameterization,
): PriorsInput {
  const out: Record<string, PriorValue> = { ...(priors ?? {}) };
  for (const t of targets) {
    const key =
      Object.keys(out).find((k) => isLevelPriors(out[k]!) && levelTarget(k, parameterization) === t) ?? t;
    const given = out[key];
    if (given !== undefined && !isLevelPriors(given))
      throw new Error(
        `priors.${key}: the structural hierarchy gives '${t}' per-factor effect types, so its prior must be a { level: family } value (its own prior under "base"), got ${JSON.stringify(given)}`,
      );
    const levels: Record<string, PriorValue> = { ...((given as LevelPriors | undefined) ?? {}) };
    for (const [factor, effect] of Object.entries(design.effects)) {
      const family = levels[factor];
      if (family === undefined) levels[factor] = { ...effect } as PriorValue;
      else if (effect.effect_type === "fixed")
        throw new Error(
          `priors.${key}.${factor}: factor '${factor}' has effect_type "fixed" in the hierarchy (a fixed scale, no learned shrinkage), but priors give its effects on '${t}' the family ${JSON.stringify(family)}; give one or the other`,
        );
    }
    out[key] = levels;
  }
  return out;
}
