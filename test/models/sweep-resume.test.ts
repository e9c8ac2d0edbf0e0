// A sweep run killed mid-fit (SIGKILL, as SLURM does after a time limit's grace period) leaves
// its periodic checkpoint; re-running the sweep resumes that run from the checkpoint instead
// of fitting it again from step 0, and ends with the parameters of an uninterrupted fit (the
// same seed: SVI resumes bit for bit, test/models/cli-fit.test.ts).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserializeSVIState } from "@scribe/infer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/sweep-fixture.js";
import { writeSimulatedDe } from "./shard-sim-data.js";

// the build (vitest brings it up to date first, test/setup/build-packages.ts): plain Node starts
// the command in well under a second, through tsx on the sources it took seconds
const MAIN = "packages/scribe-models/dist/cli/main.js";
// enough steps that the child is still fitting when its first checkpoint lands (110 steps to go)
const STEPS = 120;
const CHECKPOINT_EVERY = 10;

let dir: string;
let data: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-sweep-resume-"));
  data = await writeSimulatedDe(dir, 12); // 28 cells × 12 genes
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `scribe sweep CONFIG` in a child; SIGKILL it once `file` exists. */
function killWhenExists(cfg: string, file: string): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, "sweep", cfg], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    let killed = false;
    const poll = setInterval(() => {
      if (!killed && existsSync(file)) {
        killed = child.kill("SIGKILL");
      }
    }, 5);
    child.on("error", reject);
    child.on("exit", () => {
      clearInterval(poll);
      resolve({ killed, stderr });
    });
  });
}

describe("scribe sweep: a run killed mid-fit", () => {
  it("resumes from its checkpoint and ends where an uninterrupted fit ends", async () => {
    const root = join(dir, "runs");
    const cfg = join(dir, "sweep.yaml");
    writeFileSync(
      cfg,
      [
        "data:",
        `  path: ${data}`,
        "model:",
        "  type: nbdm",
        "inference:",
        `  n_steps: ${STEPS}`,
        "output:",
        "  n_samples: 5",
        "run:",
        `  checkpoint_every: ${CHECKPOINT_EVERY}`,
        "sweep:",
        "  inference.seed: [3]",
        `  out_root: ${root}`,
        "  compare: false",
        "",
      ].join("\n"),
    );
    const out = join(root, "sim_de", "nbdm", "svi", "seed=3");
    const ckpt = join(out, "checkpoint.ckpt");
    const first = await killWhenExists(cfg, ckpt);
    expect(first.killed, `the fit ended before it could be killed: ${first.stderr}`).toBe(true);
    expect(existsSync(join(out, "params.json"))).toBe(false);
    const step = deserializeSVIState(new Uint8Array(readFileSync(ckpt))).state.optimState.step;
    expect(step).toBeGreaterThanOrEqual(CHECKPOINT_EVERY);
    expect(step).toBeLessThan(STEPS);

    const again = await cli(["sweep", cfg]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /run 0: .*seed=3 has no params\.json \(interrupted\); resuming it from its checkpoint\.ckpt/,
    );
    // the fit's progress starts past the checkpoint's step (a fresh fit reports from step 1)
    const steps = [...again.stderr.matchAll(/scribe fit: step (\d+)\//g)].map((m) => Number(m[1]));
    expect(steps.length).toBeGreaterThan(0);
    expect(Math.min(...steps)).toBeGreaterThan(step);
    expect(existsSync(ckpt)).toBe(false);

    // the same fit uninterrupted (scribe fit with the sweep's settings) gives the same parameters
    const other = join(dir, "direct");
    const direct = await cli([
      "fit",
      data,
      "--config",
      join(root, "sweep", "base.json"),
      "inference.seed=3",
      "--out-root",
      other,
      "-q",
    ]);
    expect(direct.code, direct.stderr).toBe(0);
    const params = (p: string) => JSON.parse(readFileSync(join(p, "params.json"), "utf8"));
    const a = params(join(other, "sim_de", "nbdm", "svi", "seed=3"));
    const b = params(out);
    expect(Object.keys(a.params).length).toBeGreaterThan(0);
    expect(b.params).toEqual(a.params);
    expect(b.lossHistory).toEqual(a.lossHistory);
  }, 180_000);
});
