/**
 * `scribe compare FIT_A FIT_B --out de.csv`: Bayesian differential expression between two
 * folders written by `scribe fit` (SCRIBE `scribe.de`): Δ = CLR(ρ_A) − CLR(ρ_B) per gene by the
 * empirical, parametric or shrinkage method, lfsr and lfsr_τ, and the genes called at a target
 * PEFP. Everything is checked and computed before the CSV is written (atomically); bad input
 * writes nothing.
 *
 * Node-only.
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type CompareOptions, compare } from "../de/bayesian/compare.js";
import type { ComparisonRow } from "../de/bayesian/comparison.js";
import { ScribeResults } from "../results/results.js";
import { csvNumber } from "./de.js";
import { CHECKPOINT_FILE, inputFiles, LOCK_FILE, refuseOverwritingInputs } from "./run-folder.js";
import {
  CliError,
  type CliIO,
  checkWritable,
  choice,
  EXIT_OK,
  parseCommandArgs,
  UsageError,
  writeFileAtomic,
} from "./util.js";

/** Help text of `scribe compare`. */
export const COMPARE_HELP = `Usage: scribe compare FIT_A FIT_B --out FILE.csv [options]

Bayesian differential expression between two fitted conditions: the change of each gene's
log-ratio composition, Δ = CLR(ρ_A) − CLR(ρ_B), from the posterior of two 'scribe fit'
folders (NB-family models, fitted on the same genes).

Arguments:
  FIT_A, FIT_B            folders written by 'scribe fit' (params.json; finished runs)

Options:
  --out FILE.csv          output: one row per gene with gene, mean, sd, lfsr, lfsr_tau,
                          prob_up, prob_down, prob_effect, called
  --method NAME           empirical (default) | parametric | shrinkage
  --tau T                 practical-effect threshold on Δ (natural-log units, default 0)
  --target-pefp P         call genes with lfsr_tau below the threshold reaching this
                          posterior expected false discovery proportion (default 0.05)
  --reference NAME        clr (default) | ilr | iqlr | alr
  --n-samples S           posterior draws per condition (default 1000)
  --component K           mixtures: component index or label, both conditions
  --component-a K, --component-b K   per condition (override --component)
  --mixture-weighted      mixtures: average the components with their mixing weights
  --seed N                random seed (default 42)
  -q, --quiet             no summary on stderr
  -h, --help              show this help

Prints the number of called genes and the achieved PEFP. Exit status: 0 ok, 1 runtime error,
2 usage error.

Example:
  scribe fit data.h5ad --split-by condition --out fits
  scribe compare fits/treated fits/control --tau 0.5 --out de.csv
`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Load a finished `scribe fit` folder: refuse a folder a live run holds, a run that left a
 * checkpoint (unfinished), and a folder without a valid params.json.
 */
export function loadFitFolder(dir: string, what: string): ScribeResults {
  if (!existsSync(dir)) throw new CliError(`${what} ${dir}: no such folder`);
  if (!statSync(dir).isDirectory())
    throw new CliError(`${what} ${dir}: not a folder (give the --out folder of 'scribe fit')`);
  const lock = join(dir, LOCK_FILE);
  if (existsSync(lock)) {
    let pid = Number.NaN;
    try {
      pid = Number((JSON.parse(readFileSync(lock, "utf8")) as { pid?: number }).pid);
    } catch {
      // an unreadable lock counts as held
    }
    if (!Number.isInteger(pid) || isAlive(pid))
      throw new CliError(
        `${what} ${dir}: a 'scribe fit' run is still writing this folder (${LOCK_FILE}); wait for it to finish`,
      );
  }
  if (existsSync(join(dir, CHECKPOINT_FILE)))
    throw new CliError(
      `${what} ${dir}: unfinished run (${CHECKPOINT_FILE} present); finish it with 'scribe fit ... --resume --out ${dir}'`,
    );
  const params = join(dir, "params.json");
  if (!existsSync(params))
    throw new CliError(`${what} ${dir}: no params.json; not a finished 'scribe fit' folder`);
  try {
    return ScribeResults.fromJSON(JSON.parse(readFileSync(params, "utf8")) as Record<string, unknown>);
  } catch (err) {
    throw new CliError(`${what} ${params}: cannot read fitted results: ${(err as Error).message}`);
  }
}

function numberOpt(
  v: string | boolean | undefined,
  name: string,
  lo: number,
  hi: number,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n) || n < lo || n > hi)
    throw new UsageError(`--${name} must be a number in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return n;
}

function componentOpt(v: string | boolean | undefined): number | string | undefined {
  if (typeof v !== "string") return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

const COLUMNS: (keyof ComparisonRow)[] = [
  "gene",
  "mean",
  "sd",
  "lfsr",
  "lfsr_tau",
  "prob_up",
  "prob_down",
  "prob_effect",
  "called",
];

/** The CSV text: header and one row per gene, in the fits' gene order. */
export function compareCsv(rows: readonly ComparisonRow[]): string {
  const field = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [COLUMNS.join(",")];
  for (const r of rows)
    lines.push(
      COLUMNS.map((c) =>
        c === "gene"
          ? field(r.gene)
          : c === "called"
            ? r.called
              ? "true"
              : "false"
            : csvNumber(r[c] as number),
      ).join(","),
    );
  return `${lines.join("\n")}\n`;
}

/** Run `scribe compare` on the arguments after the command name. */
export async function runCompare(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    out: { type: "string" },
    method: { type: "string" },
    tau: { type: "string" },
    "target-pefp": { type: "string" },
    reference: { type: "string" },
    "n-samples": { type: "string" },
    component: { type: "string" },
    "component-a": { type: "string" },
    "component-b": { type: "string" },
    "mixture-weighted": { type: "boolean" },
    seed: { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(COMPARE_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 2)
    throw new UsageError(`expected two fit folders FIT_A FIT_B, got ${positionals.length}`);
  const [dirA, dirB] = positionals as [string, string];
  if (typeof values.out !== "string") throw new UsageError("--out FILE.csv is required");
  const out = values.out;
  const method = choice(
    values.method as string | undefined,
    "method",
    ["empirical", "parametric", "shrinkage"] as const,
    "empirical",
  );
  const reference = choice(
    values.reference as string | undefined,
    "reference",
    ["clr", "ilr", "iqlr", "alr"] as const,
    "clr",
  );
  const tau = numberOpt(values.tau, "tau", 0, 1e6) ?? 0;
  const targetPefp = numberOpt(values["target-pefp"], "target-pefp", 0, 1) ?? 0.05;
  const nSamples = numberOpt(values["n-samples"], "n-samples", 2, 1e7);
  if (nSamples !== undefined && !Number.isInteger(nSamples))
    throw new UsageError(`--n-samples must be an integer ≥ 2, got ${values["n-samples"]}`);
  const seed = numberOpt(values.seed, "seed", 0, 2 ** 32 - 1);
  if (seed !== undefined && !Number.isInteger(seed))
    throw new UsageError(`--seed must be an integer, got ${values.seed}`);
  const compA = componentOpt(values["component-a"] ?? values.component);
  const compB = componentOpt(values["component-b"] ?? values.component);

  // inputs first, then the output path, before any work
  const resA = loadFitFolder(dirA, "FIT_A");
  const resB = loadFitFolder(dirB, "FIT_B");
  refuseOverwritingInputs(
    [out],
    [...inputFiles(join(dirA, "params.json")), ...inputFiles(join(dirB, "params.json"))],
    "--out",
  );
  checkWritable(out);

  const opts: CompareOptions = {
    method,
    reference,
    tau: [tau],
    labelA: dirA,
    labelB: dirB,
    ...(nSamples !== undefined ? { nSamples } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(compA !== undefined ? { componentA: compA } : {}),
    ...(compB !== undefined ? { componentB: compB } : {}),
    ...(values["mixture-weighted"] ? { mixtureWeighted: true } : {}),
  };
  let table: ReturnType<Awaited<ReturnType<typeof compare>>["toTable"]>;
  try {
    const cmp = await compare(resA, resB, opts);
    table = cmp.toTable({ tau, targetPefp });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  writeFileAtomic(out, compareCsv(table.rows));
  const called = table.rows.filter((r) => r.called).length;
  const summary = {
    out,
    method,
    reference,
    tau,
    genes: table.rows.length,
    called,
    lfsr_tau_threshold: table.threshold,
    pefp: table.pefp,
    target_pefp: targetPefp,
  };
  if (!values.quiet)
    io.stderr(
      `scribe compare: ${called} of ${table.rows.length} genes called (|Δ| > ${tau} at lfsr_tau < ${table.threshold.toPrecision(3)}); achieved PEFP ${table.pefp.toPrecision(3)} (target ${targetPefp})\n`,
    );
  io.stdout(`${JSON.stringify(summary)}\n`);
  return EXIT_OK;
}
