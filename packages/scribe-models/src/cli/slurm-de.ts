/**
 * `scribe de --shards N --slurm`: the missing shards as one SLURM job array and the merge as
 * a job that runs after all of them succeed (`--dependency=afterok`). With `--slurm-wait`
 * the command waits for both and reports failed array tasks with their log paths.
 * See docs/slurm.md.
 *
 * Node-only.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cancelJobs, queuedJobs, submitJob, waitForJobs, writeJobScript } from "../slurm/sbatch-node.js";
import { arrayTaskStates, describeTaskState } from "../slurm/task-states-node.js";
import {
  describeBadShards,
  readMergeMarker,
  type ShardedDeRun,
  shardLogPath,
  shardStates,
} from "./shard-de.js";
import { JOB_PRELUDE, scribeCommand } from "./slurm-launch.js";
import { CliError, type CliIO, EXIT_OK } from "./util.js";

/** The jobs of the last submission from a shard folder (`slurm/jobs.json`). */
interface Submission {
  arrayJob: string | null;
  mergeJob: string;
  tasks: number[];
}

function jobsFile(dir: string): string {
  return join(dir, "slurm", "jobs.json");
}

function lastSubmission(dir: string): Submission | null {
  try {
    return JSON.parse(readFileSync(jobsFile(dir), "utf8")) as Submission;
  } catch {
    return null;
  }
}

/** The last lines of a log, for an error message. */
export function logTail(path: string, lines = 3): string {
  if (!existsSync(path)) return "";
  const text = readFileSync(path, "utf8").trimEnd().split("\n");
  return text.slice(-lines).join(" | ");
}

/**
 * An earlier submission from the same folder must be over before a new one: still-running
 * jobs are an error; a merge left pending because a shard failed (its dependency can never be
 * satisfied) is cancelled.
 */
async function settlePrevious(run: ShardedDeRun, say: (t: string) => void): Promise<void> {
  const prev = lastSubmission(run.dir);
  if (!prev) return;
  const ids = [prev.arrayJob, prev.mergeJob].filter((j): j is string => j !== null);
  const queued = await queuedJobs(ids);
  const stuck = queued.filter((j) => j.reason === "DependencyNeverSatisfied");
  const live = queued.filter((j) => j.reason !== "DependencyNeverSatisfied");
  if (live.length)
    throw new CliError(
      `jobs of an earlier submission from ${run.dir} are still queued or running (${live.map((j) => `${j.id} ${j.state}`).join(", ")}); wait for them or scancel them`,
    );
  if (stuck.length) {
    say(
      `cancelling the earlier merge job ${stuck.map((j) => j.id).join(", ")} (a shard it waited for failed)`,
    );
    await cancelJobs(stuck.map((j) => j.id.replace(/_.*/, "")));
  }
}

/** Submit the missing shards and the merge; with `--slurm-wait`, wait and report. */
export async function submitShardJobs(run: ShardedDeRun, io: CliIO): Promise<number> {
  const say = (t: string) => {
    if (!run.args.quiet) io.stderr(`scribe de: ${t}\n`);
  };
  const N = run.ranges.length;
  const cwd = process.cwd();
  mkdirSync(join(run.dir, "logs"), { recursive: true });
  await settlePrevious(run, say);
  const states = shardStates(run);
  const missing = run.ranges.filter((r) => !states[r.index]?.ok).map((r) => r.index);
  for (const k of missing) {
    const log = shardLogPath(run.dir, k);
    const s = states[k];
    if (s && !s.ok && existsSync(log)) say(`shard ${k}: ${s.reason}; earlier log ${log}: ${logTail(log)}`);
  }
  if (missing.length < N)
    say(`${N - missing.length} of ${N} shards complete; submitting only ${missing.join(",") || "the merge"}`);

  const base = [...scribeCommand(), "de", ...run.deArgv, "--shards", String(N), "--shard-dir", run.dir];
  const taskScript = join(run.dir, "slurm", "shard-task.sh");
  const mergeScript = join(run.dir, "slurm", "merge.sh");
  writeJobScript(taskScript, [...base, "--shard-index"], '"$SLURM_ARRAY_TASK_ID"', JOB_PRELUDE);
  writeJobScript(mergeScript, [...base, "--merge-shards"], "", JOB_PRELUDE);
  const opts = run.flags.slurmOptions;
  let arrayJob: string | null = null;
  if (missing.length) {
    arrayJob = await submitJob(
      {
        name: "scribe-de-shard",
        script: taskScript,
        output: shardLogPath(run.dir, "%a"),
        chdir: cwd,
        array: missing.join(","),
      },
      opts,
    );
  }
  const mergeJob = await submitJob(
    {
      name: "scribe-de-merge",
      script: mergeScript,
      output: join(run.dir, "logs", "merge.log"),
      chdir: cwd,
      ...(arrayJob !== null ? { afterOk: [arrayJob] } : {}),
    },
    opts,
  );
  const sub: Submission = { arrayJob, mergeJob, tasks: missing };
  writeFileSync(jobsFile(run.dir), `${JSON.stringify(sub)}\n`);
  io.stdout(
    (arrayJob !== null
      ? `submitted job array ${arrayJob} (shards ${missing.join(",")} of ${N}; logs ${shardLogPath(run.dir, "K")}) and `
      : "submitted ") +
      `merge job ${mergeJob} (after the array succeeds; log ${join(run.dir, "logs", "merge.log")}); results in ${run.out}\n`,
  );
  if (!run.flags.wait) return EXIT_OK;

  const ids = [arrayJob, mergeJob].filter((j): j is string => j !== null);
  const stuck = await waitForJobs(ids);
  if (stuck.length) await cancelJobs(stuck.map((j) => j.id.replace(/_.*/, "")));
  const after = shardStates(run);
  if (after.some((s) => !s.ok)) {
    const ended = arrayJob !== null ? await arrayTaskStates(arrayJob) : null;
    const note = (k: number) => describeTaskState(ended?.states.get(k));
    throw new CliError(
      `SLURM array ${arrayJob}: failed tasks (states from ${ended?.source ?? "neither sacct nor scontrol"}): ` +
        `${describeBadShards(run, after, note)}; merge job ${mergeJob} cancelled; ` +
        "re-run the same command to submit only these",
    );
  }
  const marker = readMergeMarker(run.dir);
  if (marker?.job !== mergeJob || marker.fingerprint !== run.fingerprint) {
    const log = join(run.dir, "logs", "merge.log");
    throw new CliError(`merge job ${mergeJob} did not write ${run.out}; log ${log}: ${logTail(log)}`);
  }
  io.stdout(`jobs done; results in ${run.out}\n`);
  return EXIT_OK;
}
