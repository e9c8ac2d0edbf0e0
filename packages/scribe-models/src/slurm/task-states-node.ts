/**
 * The end states of a job array's tasks, for reporting failed tasks (issue 20 item 3,
 * docs/slurm.md): from `sacct` when the cluster keeps accounting, else from
 * `scontrol show job`, which knows a finished job for `MinJobAge` seconds (300 by default)
 * after its end. A cluster with `AccountingStorageType=accounting_storage/none` (no
 * slurmdbd, as in the single-node test cluster) has no `sacct`, hence the fallback.
 *
 * Node-only.
 * @module
 */
import { slurmCall } from "./sbatch-node.js";

/** How one array task ended. */
export interface TaskState {
  /** `SLURM_ARRAY_TASK_ID`. */
  task: number;
  /** SLURM's job state, e.g. `COMPLETED`, `FAILED`, `TIMEOUT`, `CANCELLED`, `OUT_OF_MEMORY`. */
  state: string;
  /** SLURM's `ExitCode`, `status:signal` (e.g. `1:0`; `0:15` for a SIGTERM). */
  exitCode: string;
}

/** The source the states came from, for the message. */
export type TaskStateSource = "sacct" | "scontrol";

/** Parse `sacct -n -P -X -o JobID,State,ExitCode` lines of array `jobId` (`123_4|FAILED|1:0`). */
export function parseSacct(text: string, jobId: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split("\n")) {
    const [id = "", state = "", exitCode = ""] = line.trim().split("|");
    const m = /^(\d+)_(\d+)$/.exec(id);
    if (!m || m[1] !== jobId) continue; // pending ranges (`123_[4-7]`) and other jobs
    // sacct writes e.g. "CANCELLED by 0"; keep the state word
    out.push({ task: Number(m[2]), state: state.split(" ")[0] ?? state, exitCode });
  }
  return out;
}

/** Parse `scontrol -o show job ID` lines (one per array task, `Key=Value` words). */
export function parseScontrol(text: string, jobId: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split("\n")) {
    const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1];
    const task = field("ArrayTaskId");
    if (field("ArrayJobId") !== jobId || task === undefined || !/^\d+$/.test(task)) continue;
    out.push({
      task: Number(task),
      state: field("JobState") ?? "UNKNOWN",
      exitCode: field("ExitCode") ?? "",
    });
  }
  return out;
}

/**
 * The states of the tasks of array job `jobId`, by task id, and where they came from; `null`
 * when neither `sacct` nor `scontrol` knows the job (accounting off and the job older than
 * `MinJobAge`).
 */
export async function arrayTaskStates(
  jobId: string,
): Promise<{ states: Map<number, TaskState>; source: TaskStateSource } | null> {
  const byTask = (list: TaskState[]) => new Map(list.map((s) => [s.task, s]));
  try {
    const text = await slurmCall("sacct", ["-n", "-P", "-X", "-j", jobId, "-o", "JobID,State,ExitCode"]);
    const list = parseSacct(text, jobId);
    if (list.length) return { states: byTask(list), source: "sacct" };
  } catch {
    // accounting disabled ("Slurm accounting storage is disabled") or sacct missing
  }
  try {
    const list = parseScontrol(await slurmCall("scontrol", ["-o", "show", "job", jobId]), jobId);
    if (list.length) return { states: byTask(list), source: "scontrol" };
  } catch {
    // "Invalid job id specified": forgotten after MinJobAge
  }
  return null;
}

/** `state FAILED, exit 1:0` for a message; `state unknown` when SLURM no longer knows the task. */
export function describeTaskState(s: TaskState | undefined): string {
  return s === undefined ? "state unknown" : `state ${s.state}, exit ${s.exitCode || "?"}`;
}
