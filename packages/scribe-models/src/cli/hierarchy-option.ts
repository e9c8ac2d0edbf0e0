/**
 * `scribe fit --hierarchy CHILD:PARENT[,CHILD:PARENT]` (config `model.hierarchy`, also a
 * mapping `{donor: batch}`): the nested factors of a multi-column `--dataset-key` design, as
 * `fit()`'s `hierarchy` (child → parent, `families/dataset-factors.ts`). Names are checked
 * against the `--dataset-key` columns here, so that a typo is a usage error naming the factor
 * and the columns before any data is read; the nesting itself (cycles, a level under two
 * parents) is checked by the model on the data.
 * @module
 */
import { datasetKeyColumns } from "../models/dataset-key.js";
import { UsageError } from "./util.js";

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
    `${where} must be CHILD:PARENT pairs (e.g. donor:batch) or a mapping {child: parent}, got ${JSON.stringify(value)}`,
  );
}

/**
 * The `hierarchy` option of `fit()` from a `--hierarchy` / `model.hierarchy` value; `where`
 * names its origin in errors.
 * @throws UsageError without several `--dataset-key` columns, for a factor that is not one of
 *   them (naming it and the columns), a factor nested in itself, or one nested twice.
 * @example
 * hierarchyOption("donor:batch", "batch,donor", "--hierarchy"); // { donor: "batch" }
 */
export function hierarchyOption(value: unknown, datasetKey: unknown, where: string): Record<string, string> {
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
