/**
 * `scribe sweep CONFIG`: fit a grid of `scribe fit` runs (models × parameterizations × seeds
 * × data splits, or any fit config keys) and compare them with `scribe compare-models`
 * (issue 20 item 3, docs/slurm.md). Locally the runs go in sequence; with `--slurm` they are
 * one job array and the comparison a job after it (`--dependency=afterok`).
 *
 * The config is a `scribe fit` config (cli/config-file.ts) with one more section, `sweep`:
 * grid keys (fit config keys, e.g. `model.type`, `model.parameterization`, `inference.seed`,
 * `data.path` for data splits) mapped to lists of values, plus `out_root` (the tree root,
 * default `scribe_sweep`), `compare` (default true) and `compare_args` (extra arguments of
 * compare-models). Each run is `scribe fit --config BASE key=value… --out-root ROOT`, so its
 * folder is `ROOT/{data}/{model}/{method}/{overrides}` (cli/fit-plan.ts `outTreeFolder`).
 * A run is complete when its folder holds params.json; re-running skips complete runs and
 * resumes a run that was stopped mid-fit (a SLURM time limit, a killed job) from the checkpoint
 * in its folder (`scribe fit --resume`).
 *
 * Node-only.
 * @module
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { cancelJobs, submitJob, waitForJobs, writeJobScript } from "../slurm/sbatch-node.js";
import { arrayTaskStates, describeTaskState } from "../slurm/task-states-node.js";
import { applyOverride, readConfigObject } from "./config-file.js";
import { resolveFitPlan } from "./fit-plan.js";
import { CHECKPOINT_FILE } from "./run-folder.js";
import { takeShardFlags } from "./shard-flags.js";
import { logTail } from "./slurm-de.js";
import { JOB_PRELUDE, scribeCommand } from "./slurm-launch.js";
import { CliError, type CliIO, EXIT_OK, parseCommandArgs, UsageError, writeFileAtomic } from "./util.js";

/** Help text of `scribe sweep`. */
export const SWEEP_HELP = `Usage: scribe sweep CONFIG [options]

Fit a grid of scribe fit runs and compare them with scribe compare-models.

Arguments:
  CONFIG                  a scribe fit config (YAML or JSON) with a 'sweep' section:
                            sweep:
                              model.type: [nbdm, zinb]        # grid keys: fit config keys
                              inference.seed: [0, 1]
                              data.path: [a.h5ad, b.h5ad]     # data splits
                              out_root: runs                  # default scribe_sweep
                              compare: true                   # compare-models per data
                              compare_args: [--n-samples, "200"]
                          Each run writes OUT_ROOT/{data}/{model}/{method}/{overrides}.

Options:
  --slurm                 submit the missing runs as one SLURM job array and the
                          comparison as a job after it (see docs/slurm.md)
  --slurm-wait            with --slurm: wait for the jobs, report failed runs with logs
  --slurm-partition P     sbatch --partition
  --slurm-time T          sbatch --time
  --slurm-mem M           sbatch --mem
  --slurm-set KEY=VALUE   any sbatch option --KEY=VALUE (repeatable)
  --task-index K          run only run K (what an array task runs)
  --compare-only          run only the comparison (what the dependent job runs)
  -q, --quiet             no progress on stderr
  -h, --help              show this help

Complete runs (params.json present) are not run again; a run whose folder exists
without params.json (interrupted) resumes from its checkpoint (checkpoint.ckpt, written
every run.checkpoint_every steps and when a job is stopped) with scribe fit --resume, or
is run again from the start when it has none. Exit status: 0 ok, 1 runtime error (a
failed run), 2 usage error.
`;

const OPTIONS = {
  "task-index": { type: "string" },
  "compare-only": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

/** One run of the grid. */
export interface SweepRun {
  /** Array index. */
  index: number;
  /** `key=value` overrides of this run. */
  overrides: string[];
  /** Data path. */
  data: string;
  /** Its output folder. */
  outDir: string;
}

/** A sweep: the runs and where things go. */
export interface SweepPlan {
  /** Tree root. */
  root: string;
  /** Base fit config (the CONFIG without `sweep`), written for the runs. */
  baseConfig: string;
  /** The runs, in grid order (last key fastest). */
  runs: SweepRun[];
  /** Run compare-models per data. */
  compare: boolean;
  /** Extra compare-models arguments. */
  compareArgs: string[];
}

function overrideValue(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Read CONFIG, check the grid and resolve every run's folder. */
export function planSweep(configPath: string): SweepPlan {
  let obj: unknown;
  try {
    obj = parseYaml(readFileSync(configPath, "utf8"));
  } catch (err) {
    throw new CliError(`cannot read sweep config ${configPath}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    throw new CliError(`${configPath}: expected a mapping of sections`);
  const { sweep, ...base } = obj as Record<string, unknown>;
  if (typeof sweep !== "object" || sweep === null || Array.isArray(sweep))
    throw new CliError(`${configPath}: needs a 'sweep' section mapping grid keys to lists of values`);
  const { out_root: outRoot, compare, compare_args: compareArgs, ...grid } = sweep as Record<string, unknown>;
  readConfigObject(base, configPath); // the base must be a valid fit config
  const axes: [string, unknown[]][] = [];
  for (const [key, values] of Object.entries(grid)) {
    const list = Array.isArray(values) ? values : [values];
    if (list.length === 0) throw new CliError(`${configPath}: sweep.${key} is an empty list`);
    for (const v of list) {
      try {
        applyOverride({ settings: {}, fitExtra: {} }, `${key}=${overrideValue(v)}`);
      } catch (err) {
        throw new CliError(`${configPath}: sweep.${key}: ${(err as Error).message}`);
      }
    }
    axes.push([key, list]);
  }
  if (axes.length === 0) throw new CliError(`${configPath}: the sweep section has no grid keys`);
  if (
    compareArgs !== undefined &&
    (!Array.isArray(compareArgs) || compareArgs.some((a) => typeof a !== "string"))
  )
    throw new CliError(`${configPath}: sweep.compare_args must be a list of strings`);
  const root = resolve(typeof outRoot === "string" ? outRoot : "scribe_sweep");
  const baseConfig = join(root, "sweep", "base.json");
  let combos: string[][] = [[]];
  for (const [key, list] of axes)
    combos = combos.flatMap((c) => list.map((v) => [...c, `${key}=${overrideValue(v)}`]));
  const basePath = (base.data as Record<string, unknown> | undefined)?.path;
  const runs = combos.map((overrides, index) => {
    const dataOverride = overrides.find((o) => o.startsWith("data.path="));
    const data = dataOverride ? dataOverride.slice("data.path=".length) : basePath;
    if (typeof data !== "string") throw new CliError(`${configPath}: no data (data.path or sweep data.path)`);
    // the original CONFIG gives the settings that name folders (its sweep section is ignored here)
    const plan = resolveFitPlan({ config: configPath, "out-root": root }, [
      data,
      ...overrides.filter((o) => !o.startsWith("data.path=")),
    ]);
    return { index, overrides, data, outDir: plan.outDir };
  });
  const dup = runs.find((r, i) => runs.findIndex((s) => s.outDir === r.outDir) !== i);
  if (dup) throw new CliError(`${configPath}: two runs write ${dup.outDir}`);
  return {
    root,
    baseConfig,
    runs,
    compare: compare !== false,
    compareArgs: (compareArgs as string[] | undefined) ?? [],
  };
}

/**
 * Whether a run has finished: `scribe fit` writes params.json atomically (a temporary file
 * and a rename, cli/fit.ts) after the fit, so a params.json that is there is complete.
 */
export function runComplete(run: SweepRun): boolean {
  return existsSync(join(run.outDir, "params.json"));
}

/** Whether a run was started and did not finish: its folder exists without params.json. */
export function runInterrupted(run: SweepRun): boolean {
  return existsSync(run.outDir) && !runComplete(run);
}

/**
 * Whether an unfinished run continues from its checkpoint: `scribe fit` leaves one in the run
 * folder while it runs (and on SIGTERM, which SLURM sends first), and removes it after
 * params.json is written; so a checkpoint beside no params.json is a run stopped mid-fit.
 */
export function runResumable(run: SweepRun): boolean {
  return !runComplete(run) && existsSync(join(run.outDir, CHECKPOINT_FILE));
}

function fitArgv(plan: SweepPlan, run: SweepRun, quiet: boolean): string[] {
  const rest = run.overrides.filter((o) => !o.startsWith("data.path="));
  return [
    run.data,
    "--config",
    plan.baseConfig,
    ...rest,
    "--out-root",
    plan.root,
    ...(runResumable(run) ? ["--resume"] : []),
    ...(quiet ? ["-q"] : []),
  ];
}

/** Log of run `k` under SLURM. */
function runLog(plan: SweepPlan, k: number | string): string {
  return join(plan.root, "sweep", "logs", `run-${k}.log`);
}

async function compareAll(plan: SweepPlan, io: CliIO): Promise<number> {
  const missing = plan.runs.filter((r) => !runComplete(r));
  if (missing.length)
    throw new CliError(
      `cannot compare: runs ${missing.map((r) => `${r.index} (${r.outDir})`).join(", ")} are not complete`,
    );
  const { runCompareModels } = await import("./compare-models.js");
  const byData = new Map<string, SweepRun[]>();
  for (const r of plan.runs) byData.set(r.data, [...(byData.get(r.data) ?? []), r]);
  for (const [data, runs] of byData) {
    if (runs.length < 2) continue;
    const out = join(plan.root, "compare", basename(data).replace(/\.(h5ad|h5)$/i, ""));
    const code = await runCompareModels(
      [...runs.map((r) => r.outDir), "--data", data, "--out", out, ...plan.compareArgs],
      io,
    );
    if (code !== EXIT_OK) return code;
  }
  // names the job (if any) that finished the comparison, for `--slurm-wait`
  writeFileAtomic(
    join(plan.root, "sweep", "compared.json"),
    `${JSON.stringify({ job: process.env.SLURM_JOB_ID ?? null })}\n`,
  );
  return EXIT_OK;
}

function readCompareMarker(path: string): string | null {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { job: string | null }).job;
  } catch {
    return null;
  }
}

/**
 * Run `scribe sweep` with the arguments after the subcommand name. Returns the exit status;
 * throws {@link UsageError} / {@link CliError}.
 */
export async function runSweep(argv: readonly string[], io: CliIO): Promise<number> {
  const { flags, rest } = takeShardFlags(argv);
  if (flags.shardIndex !== undefined || flags.merge || flags.shardDir !== undefined || flags.shards !== 1)
    throw new UsageError("--shards, --shard-index, --shard-dir and --merge-shards belong to scribe de");
  const { values, positionals } = parseCommandArgs(rest, OPTIONS);
  if (values.help) {
    io.stdout(SWEEP_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1)
    throw new UsageError(`expected one CONFIG argument, got ${positionals.length}`);
  const quiet = Boolean(values.quiet);
  const say = (t: string) => {
    if (!quiet) io.stderr(`scribe sweep: ${t}\n`);
  };
  const configPath = positionals[0]!;
  const plan = planSweep(configPath);
  const { runFit } = await import("./fit.js");
  const taskRaw = values["task-index"];
  if (typeof taskRaw === "string") {
    const run = plan.runs[Number(taskRaw)];
    if (!/^\d+$/.test(taskRaw) || run === undefined)
      throw new UsageError(`--task-index ${taskRaw} is not in 0…${plan.runs.length - 1}`);
    return runFit(fitArgv(plan, run, quiet), io);
  }
  if (values["compare-only"]) return compareAll(plan, io);

  mkdirSync(join(plan.root, "sweep", "logs"), { recursive: true });
  const { sweep: _s, ...base } = parseYaml(readFileSync(configPath, "utf8")) as Record<string, unknown>;
  writeFileAtomic(plan.baseConfig, `${JSON.stringify(base, null, 2)}\n`);
  writeFileAtomic(join(plan.root, "sweep", "runs.json"), `${JSON.stringify(plan.runs, null, 2)}\n`);
  const todo = plan.runs.filter((r) => !runComplete(r));
  if (todo.length < plan.runs.length)
    say(`${plan.runs.length - todo.length} of ${plan.runs.length} runs complete; ${todo.length} to run`);
  for (const r of todo.filter(runInterrupted))
    say(
      runResumable(r)
        ? `run ${r.index}: ${r.outDir} has no params.json (interrupted); resuming it from its ${CHECKPOINT_FILE}`
        : `run ${r.index}: ${r.outDir} has no params.json (interrupted); running it again`,
    );

  if (!flags.slurm) {
    for (const run of todo) {
      say(`run ${run.index + 1}/${plan.runs.length}: ${run.overrides.join(" ")} → ${run.outDir}`);
      const code = await runFit(fitArgv(plan, run, quiet), io);
      if (code !== EXIT_OK) throw new CliError(`run ${run.index} (${run.overrides.join(" ")}) failed`);
    }
    return plan.compare ? compareAll(plan, io) : EXIT_OK;
  }

  const cmd = [...scribeCommand(), "sweep", resolve(configPath), ...(quiet ? ["-q"] : [])];
  const taskScript = join(plan.root, "sweep", "run-task.sh");
  writeJobScript(taskScript, [...cmd, "--task-index"], '"$SLURM_ARRAY_TASK_ID"', JOB_PRELUDE);
  const chdir = process.cwd();
  const opts = flags.slurmOptions;
  let arrayJob: string | null = null;
  if (todo.length)
    arrayJob = await submitJob(
      {
        name: "scribe-sweep",
        script: taskScript,
        output: runLog(plan, "%a"),
        chdir,
        array: todo.map((r) => r.index).join(","),
      },
      opts,
    );
  let compareJob: string | null = null;
  if (plan.compare) {
    const compareScript = join(plan.root, "sweep", "compare.sh");
    writeJobScript(compareScript, [...cmd, "--compare-only"], "", JOB_PRELUDE);
    compareJob = await submitJob(
      {
        name: "scribe-sweep-compare",
        script: compareScript,
        output: join(plan.root, "sweep", "logs", "compare.log"),
        chdir,
        ...(arrayJob !== null ? { afterOk: [arrayJob] } : {}),
      },
      opts,
    );
  }
  io.stdout(
    `${arrayJob !== null ? `submitted job array ${arrayJob} (runs ${todo.map((r) => r.index).join(",")} of ${plan.runs.length}; logs ${runLog(plan, "K")})` : "all runs complete"}` +
      `${compareJob !== null ? `; compare-models job ${compareJob} after it (log ${join(plan.root, "sweep", "logs", "compare.log")})` : ""}\n`,
  );
  if (!flags.wait) return EXIT_OK;
  const ids = [arrayJob, compareJob].filter((j): j is string => j !== null);
  const stuck = await waitForJobs(ids);
  if (stuck.length) await cancelJobs(stuck.map((j) => j.id.replace(/_.*/, "")));
  const failed = plan.runs.filter((r) => !runComplete(r));
  if (failed.length) {
    const ended = arrayJob !== null ? await arrayTaskStates(arrayJob) : null;
    const what = failed.map((r) => {
      const log = runLog(plan, r.index);
      return `run ${r.index} [${r.overrides.join(" ")}] (${describeTaskState(ended?.states.get(r.index))}; log ${log}: ${logTail(log, 2)})`;
    });
    throw new CliError(
      `SLURM array ${arrayJob}: failed tasks (states from ${ended?.source ?? "neither sacct nor scontrol"}): ${what.join(", ")}` +
        `${compareJob !== null ? `; compare job ${compareJob} cancelled` : ""}; re-run the same command to submit only these`,
    );
  }
  const marker = join(plan.root, "sweep", "compared.json");
  if (compareJob !== null && readCompareMarker(marker) !== compareJob) {
    const log = join(plan.root, "sweep", "logs", "compare.log");
    throw new CliError(`compare-models job ${compareJob} did not finish; log ${log}: ${logTail(log)}`);
  }
  io.stdout("jobs done\n");
  return EXIT_OK;
}
