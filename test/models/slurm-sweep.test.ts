import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { missingSlurmPrograms, type SlurmCluster, startSlurmCluster } from "../helpers/slurm-cluster.js";
import { writeSimulatedDe } from "./shard-sim-data.js";

/**
 * A two-model `scribe sweep --slurm` through a real single-node SLURM: a job array of two
 * fits and a dependent compare-models job. Slow (each job starts the command and fits), so
 * it runs with SCRIBE_SLOW=1; the local sweep (sweep-local.test.ts) and the sharded DE
 * through SLURM (slurm-de.test.ts) run by default. Under CI=true a missing SLURM fails.
 */
const missing = await missingSlurmPrograms();
const slow = process.env.SCRIBE_SLOW === "1";
const skip = !slow || (missing.length > 0 && process.env.CI !== "true");

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

let cluster: SlurmCluster | null = null;
let dir: string;
const savedConf = process.env.SLURM_CONF;

describe.skipIf(skip)("scribe sweep --slurm on a single-node SLURM", () => {
  beforeAll(async () => {
    if (missing.length) throw new Error(`CI=true but SLURM programs are missing: ${missing.join(", ")}`);
    cluster = await startSlurmCluster();
    process.env.SLURM_CONF = cluster.env.SLURM_CONF;
    dir = mkdtempSync(join(tmpdir(), "scribe-slurm-sweep-"));
  }, 120_000);

  afterAll(async () => {
    if (savedConf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = savedConf;
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("fits nbdm and zinb as a job array, then compare-models after them", async () => {
    const data = await writeSimulatedDe(dir, 12);
    const root = join(dir, "runs");
    const cfg = join(dir, "sweep.yaml");
    writeFileSync(
      cfg,
      [
        "data:",
        `  path: ${data}`,
        "inference:",
        "  n_steps: 30",
        "sweep:",
        "  model.type: [nbdm, zinb]",
        `  out_root: ${root}`,
        '  compare_args: ["--n-samples", "20", "--ppc-samples", "0"]',
        "",
      ].join("\n"),
    );
    const r = await cli(["sweep", cfg, "--slurm", "--slurm-wait", "--slurm-time", "15"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/submitted job array \d+ \(runs 0,1 of 2;.*compare-models job \d+ after it/);
    for (const m of ["nbdm", "zinb"])
      expect(existsSync(join(root, "sim_de", m, "svi", "defaults", "params.json"))).toBe(true);
    const models = readFileSync(join(root, "compare", "sim_de", "models.csv"), "utf8")
      .trim()
      .split("\n");
    expect(
      models
        .slice(1)
        .map((l) => l.split(",")[1])
        .sort(),
    ).toEqual(["nbdm", "zinb"]);
    expect(readFileSync(join(root, "sweep", "logs", "compare.log"), "utf8")).toMatch(/nbdm|zinb/);
  }, 400_000);
});
