import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { takeShardFlags } from "@scribe/models/cli/shard-flags.js";
import { sbatchArgs, writeJobScript } from "@scribe/models/slurm/sbatch-node.js";
import { describeTaskState, parseSacct, parseScontrol } from "@scribe/models/slurm/task-states-node.js";
import { describe, expect, it } from "vitest";

describe("sbatch pass-through and job scripts (no SLURM needed)", () => {
  it("--slurm-* options become sbatch options, in order, before the script", () => {
    const { flags, rest } = takeShardFlags([
      "data.h5ad",
      "--shards=4",
      "--slurm",
      "--slurm-partition",
      "short",
      "--slurm-time=0:30:00",
      "--slurm-mem",
      "8G",
      "--slurm-set",
      "account=lab",
      "--slurm-set=qos=long",
      "--out",
      "x.csv",
    ]);
    expect(rest).toEqual(["data.h5ad", "--out", "x.csv"]);
    expect(flags.shards).toBe(4);
    const args = sbatchArgs(
      { name: "t", script: "/s.sh", output: "/l/%a.log", chdir: "/w", array: "0,2", afterOk: ["17"] },
      flags.slurmOptions,
    );
    expect(args).toEqual([
      "--parsable",
      "--job-name=t",
      "--output=/l/%a.log",
      "--chdir=/w",
      "--array=0,2",
      "--dependency=afterok:17",
      "--partition=short",
      "--time=0:30:00",
      "--mem=8G",
      "--account=lab",
      "--qos=long",
      "/s.sh",
    ]);
  });

  it("a job script passes every word through bash unchanged and appends the task id", () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-jobscript-"));
    try {
      const script = join(dir, "job.sh");
      const words = ["a b", "it's", "$HOME", "x;y", "--flag=v w", ""];
      writeJobScript(
        script,
        ["printf", "[%s]\\n", ...words],
        '"$SLURM_ARRAY_TASK_ID"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion in the prelude
        'export EXTRA="${EXTRA:-1}"',
      );
      expect(readFileSync(script, "utf8")).toMatch(/^#!\/bin\/bash\n/);
      const out = execFileSync(script, { env: { ...process.env, SLURM_ARRAY_TASK_ID: "3" } }).toString();
      expect(out).toBe(`${[...words, "3"].map((w) => `[${w}]`).join("\n")}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("array task states (slurm/task-states-node.ts)", () => {
  it("reads sacct -P lines and scontrol -o lines of one array job", () => {
    // sacct -n -P -X -o JobID,State,ExitCode: one line per task, pending ranges in brackets
    const sacct =
      "41_0|COMPLETED|0:0\n41_1|FAILED|1:0\n41_2|CANCELLED by 0|0:15\n41_[3-4]|PENDING|0:0\n7_1|FAILED|2:0\n";
    expect(parseSacct(sacct, "41")).toEqual([
      { task: 0, state: "COMPLETED", exitCode: "0:0" },
      { task: 1, state: "FAILED", exitCode: "1:0" },
      { task: 2, state: "CANCELLED", exitCode: "0:15" },
    ]);
    // scontrol -o show job: Key=Value words, one line per task (abridged)
    const scontrol =
      "JobId=43 ArrayJobId=42 ArrayTaskId=1 JobName=scribe-sweep JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0 StdOut=/r/run-1.log\n" +
      "JobId=42 ArrayJobId=42 ArrayTaskId=0 JobName=scribe-sweep JobState=COMPLETED Reason=None ExitCode=0:0\n" +
      "JobId=44 ArrayJobId=42 ArrayTaskId=2-3 JobState=PENDING ExitCode=0:0\n";
    expect(parseScontrol(scontrol, "42")).toEqual([
      { task: 1, state: "FAILED", exitCode: "1:0" },
      { task: 0, state: "COMPLETED", exitCode: "0:0" },
    ]);
    expect(describeTaskState({ task: 1, state: "TIMEOUT", exitCode: "0:15" })).toBe(
      "state TIMEOUT, exit 0:15",
    );
    expect(describeTaskState(undefined)).toBe("state unknown");
  });
});
