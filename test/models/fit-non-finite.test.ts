// Issue 21 item 3, reproduced first: `scribe fit examples/data/pbmc3k_sctransform --n-steps 300
// --batch-size 64 --learning-rate 3` spun for ever on non-finite steps; it must end with a
// non-zero exit and a clear message (and a checkpoint of the last finite state), and at
// learning rate 1 the loss history has exactly one entry per step.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserializeSVIState } from "@scribe/infer";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { afterAll, describe, expect, it } from "vitest";

const PBMC = "examples/data/pbmc3k_sctransform";
const dir = mkdtempSync(join(tmpdir(), "scribe-nonfinite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
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
  let code: number;
  try {
    code = await runCli(args, io);
  } catch (e) {
    stderr += (e as Error).message;
    code = -1;
  }
  return { code, stdout, stderr };
}

describe("scribe fit with non-finite steps (issue 21 item 3)", () => {
  it("learning rate 3: ends with status 1, names the step and what was not finite, keeps a checkpoint", {
    timeout: 300_000,
  }, async () => {
    const out = join(dir, "lr3");
    const r = await cli([
      "fit",
      PBMC,
      "--n-steps",
      "300",
      "--batch-size",
      "64",
      "--learning-rate",
      "3",
      "--n-samples",
      "5",
      "--out",
      out,
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/100 consecutive non-finite steps \(steps \d+–\d+; \d+ in all\): at step \d+ /);
    expect(r.stderr).toMatch(/not finite/);
    expect(r.stderr).toMatch(/checkpoint of the last finite state was saved/);
    // the progress lines show the skipped steps
    expect(r.stderr).toMatch(/skipped \d+ non-finite/);
    const ck = deserializeSVIState(new Uint8Array(readFileSync(join(out, "checkpoint.ckpt"))));
    const losses = ck.history!.losses;
    expect(losses.length).toBe(ck.state.optimState.step);
    expect(losses.length).toBeLessThanOrEqual(300);
    // the saved params are finite (stable updates never applied a non-finite step)
    for (const t of Object.values(ck.state.optimState.params))
      expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
    expect(existsSync(join(out, "results.h5ad"))).toBe(false);
  });

  it("learning rate 1: 300 steps give 300 losses", { timeout: 300_000 }, async () => {
    const out = join(dir, "lr1");
    const r = await cli([
      "fit",
      PBMC,
      "--n-steps",
      "300",
      "--batch-size",
      "64",
      "--learning-rate",
      "1",
      "--n-samples",
      "5",
      "--out",
      out,
      "-q",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const params = JSON.parse(readFileSync(join(out, "params.json"), "utf8")) as { lossHistory: unknown[] };
    expect(params.lossHistory.length).toBe(300);
    expect(JSON.parse(r.stdout).steps).toBe(300);
  });
});
