import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { takeShardFlags } from "@scribe/models/cli/shard-flags.js";
import { sbatchArgs, writeJobScript } from "@scribe/models/slurm/sbatch-node.js";
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
