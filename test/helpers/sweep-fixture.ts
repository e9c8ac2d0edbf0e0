/**
 * Shared setup of the `scribe sweep` tests (sweep-local.test.ts, slurm-sweep.test.ts): run the
 * CLI in-process capturing its output, and write the two-model sweep config.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Run `scribe ARGS` in this process; exit status and captured stdout/stderr. */
export { type CliRun as CliResult, cliInProcess as cli } from "../models/cli-in-process.js";

/**
 * Write `dir/sweep.yaml`: nbdm and zinb on `data` with `nSteps` SVI steps into `root`,
 * compare-models with few samples and no PPC (quick); its path.
 */
export function writeTwoModelSweep(dir: string, data: string, root: string, nSteps = 30): string {
  const cfg = join(dir, "sweep.yaml");
  writeFileSync(
    cfg,
    [
      "data:",
      `  path: ${data}`,
      "inference:",
      `  n_steps: ${nSteps}`,
      "sweep:",
      "  model.type: [nbdm, zinb]",
      `  out_root: ${root}`,
      '  compare_args: ["--n-samples", "20", "--ppc-samples", "0"]',
      "",
    ].join("\n"),
  );
  return cfg;
}

/** The model column of a compare-models `models.csv`, sorted. */
export function comparedModels(csv: string): string[] {
  return csv
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(",")[1] ?? "")
    .sort();
}
