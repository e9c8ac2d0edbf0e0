/**
 * Submitting to SLURM: `sbatch` argument lists, job scripts, and `squeue` queries. We do not
 * schedule anything ourselves; SLURM does (issue 20 item 3, docs/slurm.md).
 *
 * Node-only.
 * @module
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Resource options passed through to `sbatch` (`--slurm-partition` etc. of the commands). */
export interface SlurmOptions {
  /** `--partition`. */
  partition?: string;
  /** `--time` (SLURM time format, e.g. `1:00:00`). */
  time?: string;
  /** `--mem` (e.g. `8G`). */
  mem?: string;
  /** Further `--KEY=VALUE` options (from `--slurm-set KEY=VALUE`), in order. */
  set?: readonly string[];
}

/** One job to submit. */
export interface JobSpec {
  /** `--job-name`. */
  name: string;
  /** The batch script's path. */
  script: string;
  /** `--output` pattern (SLURM's %A, %a, %j apply). */
  output: string;
  /** Working directory of the job (`--chdir`). */
  chdir: string;
  /** `--array` list, e.g. `0-3` or `1,3`. */
  array?: string;
  /** Job ids this job runs after, all successful (`--dependency=afterok:…`). */
  afterOk?: readonly string[];
}

/** Check `--slurm-set` entries: each `KEY=VALUE` with an option-like key. */
export function checkSlurmSet(entries: readonly string[]): void {
  for (const e of entries) {
    if (!/^[A-Za-z][A-Za-z0-9-]*=/.test(e))
      throw new Error(
        `--slurm-set expects KEY=VALUE with KEY an sbatch option name (e.g. account=lab), got ${JSON.stringify(e)}`,
      );
  }
}

/** The `sbatch` argument list for a job (without the program name). */
export function sbatchArgs(job: JobSpec, opts: SlurmOptions): string[] {
  const args = ["--parsable", `--job-name=${job.name}`, `--output=${job.output}`, `--chdir=${job.chdir}`];
  if (job.array !== undefined) args.push(`--array=${job.array}`);
  if (job.afterOk?.length) args.push(`--dependency=afterok:${job.afterOk.join(":")}`);
  if (opts.partition !== undefined) args.push(`--partition=${opts.partition}`);
  if (opts.time !== undefined) args.push(`--time=${opts.time}`);
  if (opts.mem !== undefined) args.push(`--mem=${opts.mem}`);
  for (const kv of opts.set ?? []) args.push(`--${kv}`);
  args.push(job.script);
  return args;
}

/** Quote one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * Write an executable bash job script running `command` (words, quoted here) followed by
 * `rawTail` (unquoted, e.g. `"$SLURM_ARRAY_TASK_ID"`), after the shell lines `prelude`.
 */
export function writeJobScript(path: string, command: readonly string[], rawTail = "", prelude = ""): void {
  mkdirSync(dirname(path), { recursive: true });
  const line = command.map(shellQuote).join(" ") + (rawTail ? ` ${rawTail}` : "");
  const pre = prelude ? `${prelude}\n` : "";
  writeFileSync(
    path,
    `#!/bin/bash\n# written by scribe; submitted with sbatch\nset -euo pipefail\n${pre}exec ${line}\n`,
  );
  chmodSync(path, 0o755);
}

/** Run a SLURM client program; its stdout, or an error naming the program and its stderr. */
export function slurmCall(program: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        const why =
          (err as NodeJS.ErrnoException).code === "ENOENT"
            ? `${program} not found (is SLURM installed and on PATH?)`
            : `${program} ${args.join(" ")} failed: ${String(stderr).trim() || err.message}`;
        reject(new Error(why));
      } else resolve(String(stdout));
    });
  });
}

/** Submit a job with `sbatch --parsable`; its job id. */
export async function submitJob(job: JobSpec, opts: SlurmOptions): Promise<string> {
  const out = (await slurmCall("sbatch", sbatchArgs(job, opts))).trim();
  // --parsable prints "jobid" or "jobid;cluster"
  const id = out.split(";")[0] ?? "";
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed ${JSON.stringify(out)}, not a job id`);
  return id;
}

/** A job (or array task) still known to `squeue`. */
export interface QueuedJob {
  /** Job id as squeue prints it (`123_4` for an array task, `123_[5-7]` for pending ones). */
  id: string;
  /** State (PENDING, RUNNING, …). */
  state: string;
  /** Reason (e.g. `DependencyNeverSatisfied`). */
  reason: string;
}

/** The jobs of `ids` that `squeue` still lists (array tasks included). */
export async function queuedJobs(ids: readonly string[]): Promise<QueuedJob[]> {
  if (ids.length === 0) return [];
  const out = await slurmCall("squeue", ["-h", "-j", ids.join(","), "-o", "%i|%T|%r"]).catch((err: Error) => {
    // squeue exits non-zero for ids it has already forgotten
    if (/Invalid job id/i.test(err.message)) return "";
    throw err;
  });
  return out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [id = "", state = "", reason = ""] = l.trim().split("|");
      return { id, state, reason };
    });
}

/**
 * Wait until none of `ids` is running or pending, or only jobs whose dependency can never
 * be satisfied remain (a failed array task before an `afterok` job); those are returned
 * (still queued) so that the caller can cancel them. Polls `squeue` every `pollMs`.
 */
export async function waitForJobs(ids: readonly string[], pollMs = 1000): Promise<QueuedJob[]> {
  for (;;) {
    const q = await queuedJobs(ids);
    const live = q.filter((j) => j.reason !== "DependencyNeverSatisfied");
    if (live.length === 0) return q;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Cancel jobs (`scancel`). */
export async function cancelJobs(ids: readonly string[]): Promise<void> {
  if (ids.length) await slurmCall("scancel", [...ids]);
}
