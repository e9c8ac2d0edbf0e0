/**
 * `scribe fit --hierarchy CHILD:PARENT[,CHILD:PARENT]` (config `model.hierarchy`, also a
 * mapping `{donor: batch}`): the nested factors of a multi-column `--dataset-key` design, as
 * `fit()`'s `hierarchy` (child → parent, `families/dataset-factors.ts`). Names are checked
 * against the `--dataset-key` columns here, so that a typo is a usage error naming the factor
 * and the columns before any data is read; the nesting itself (cycles, a level under two
 * parents) is checked by the model on the data.
 *
 * Or SCRIBE's structural form (`models/group-levels.ts`): a list of factors, in a config file
 * as a YAML list and on the command line as a YAML flow list
 * (`--hierarchy '[{name: treat, effect_type: fixed, fixed_scale: 2}, {name: donor, nested_in: treat}]'`),
 * which names the dataset columns itself (`--dataset-key`, if given, must agree). It is checked
 * here as fit() checks it, the errors naming the entry.
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { FitOptions } from "../fit.js";
import { datasetKeyColumns } from "../models/dataset-key.js";
import { datasetDesign, type GroupLevel } from "../models/group-levels.js";
import { UsageError } from "./util.js";

/** The structural list of a value (a list, or a flag's YAML flow list "[…]"), or null. */
function groupLevelList(value: unknown, where: string): (string | GroupLevel)[] | null {
  if (Array.isArray(value)) return value;
  if (typeof value !== "string" || !value.trim().startsWith("[")) return null;
  let parsed: unknown;
  try {
    parsed = parseYaml(value);
  } catch (e) {
    throw new UsageError(`${where}: not a valid YAML list (${(e as Error).message.split("\n")[0]})`);
  }
  return Array.isArray(parsed) ? parsed : null;
}

/** Child → parent pairs of a flag value ("donor:batch,site:region") or a config mapping. */
function pairsOf(value: unknown, where: string): [string, string][] {
  if (typeof value === "string") {
    return value.split(",").map((part) => {
      const names = part.split(":").map((x) => x.trim());
      if (names.length !== 2 || names[0] === "" || names[1] === "")
        throw new UsageError(
          `${where} must be CHILD:PARENT pairs separated by commas (e.g. donor:batch), got ${JSON.stringify(value)}`,
        );
      return [names[0]!, names[1]!];
    });
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.every(([, p]) => typeof p === "string" && p !== ""))
      return entries as [string, string][];
  }
  throw new UsageError(
    `${where} must be CHILD:PARENT pairs (e.g. donor:batch), a mapping {child: parent}, or a list of factors ([{name: batch}, {name: donor, nested_in: batch}]), got ${JSON.stringify(value)}`,
  );
}

/**
 * The `hierarchy` option of `fit()` from a `--hierarchy` / `model.hierarchy` value; `where`
 * names its origin in errors.
 * @throws UsageError without several `--dataset-key` columns, for a factor that is not one of
 *   them (naming it and the columns), a factor nested in itself, or one nested twice; for a
 *   structural list, an entry fit() refuses (naming it) or a `--dataset-key` naming other columns.
 * @example
 * hierarchyOption("donor:batch", "batch,donor", "--hierarchy"); // { donor: "batch" }
 * hierarchyOption("[treat, {name: donor, nested_in: treat}]", undefined, "--hierarchy"); // ["treat", { name: "donor", nested_in: "treat" }]
 */
export function hierarchyOption(
  value: unknown,
  datasetKey: unknown,
  where: string,
): NonNullable<FitOptions["hierarchy"]> {
  const list = groupLevelList(value, where);
  if (list) {
    try {
      datasetDesign(
        {
          hierarchy: list,
          ...(datasetKey !== undefined && datasetKey !== null
            ? { datasetKey: datasetKeyColumns(datasetKey) }
            : {}),
        },
        where,
      );
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return list;
  }
  const pairs = pairsOf(value, where);
  const columns = datasetKeyColumns(datasetKey);
  if (columns.length < 2)
    throw new UsageError(
      `${where} nests factors of several --dataset-key columns (e.g. --dataset-key batch,donor), got ${
        columns.length ? `--dataset-key ${columns.join(",")}` : "no --dataset-key"
      }`,
    );
  const parentOf = new Map<string, string>();
  for (const [child, parent] of pairs) {
    for (const name of [child, parent])
      if (!columns.includes(name))
        throw new UsageError(
          `${where}: unknown factor '${name}'; the --dataset-key columns are ${columns.join(", ")}`,
        );
    if (child === parent) throw new UsageError(`${where}: factor '${child}' is nested in itself`);
    if (parentOf.has(child))
      throw new UsageError(
        `${where}: factor '${child}' is nested twice (in '${parentOf.get(child)}' and '${parent}'); a factor has one parent`,
      );
    parentOf.set(child, parent);
  }
  return Object.fromEntries(parentOf);
}
