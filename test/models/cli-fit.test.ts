import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserializeSVIState } from "@scribe/infer";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";

// the build (vitest brings it up to date first, test/setup/build-packages.ts): plain Node starts
// the command in well under a second, through tsx on the sources it took seconds
const MAIN = "packages/scribe-models/dist/cli/main.js";

function makeData(dir: string): string {
  const C = 60;
  const G = 8;
  const data = new Float64Array(C * G);
  let s = 7;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = (s >> 8) % 6;
  }
  const ad = createAnnData({ X: { format: "dense", data, shape: [C, G] } });
  const path = join(dir, "tenx");
  write10x(path, ad);
  return path;
}

describe("scribe fit", () => {
  // The interrupted run is a real process (the signal and the exit status 130 cross the process
  // boundary); the uninterrupted run and the resume run in this process (same arithmetic).
  it("SIGINT writes a checkpoint; --resume equals an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-fit-"));
    const data = makeData(dir);
    const common = [
      "fit",
      data,
      "--model",
      "nbdm",
      "--n-steps",
      "600",
      "--learning-rate",
      "0.01",
      "--checkpoint-every",
      "100000",
      "--n-samples",
      "5",
    ];
    const full = await cli([...common, "--out", join(dir, "full"), "-q"]);
    expect(full.code, full.stderr).toBe(0);
    const out = join(dir, "int");
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [MAIN, ...common, "--out", out], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let sent = false;
      // progress lines come every 10 % (60 steps): interrupt at the one of step 300
      child.stderr.on("data", (b: Buffer) => {
        if (!sent && /step (3|4|5)\d\d\//.test(b.toString())) {
          sent = true;
          child.kill("SIGINT");
        }
      });
      child.on("exit", (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(existsSync(join(out, "checkpoint.ckpt"))).toBe(true);
    const ck = deserializeSVIState(new Uint8Array(readFileSync(join(out, "checkpoint.ckpt"))));
    const step = ck.state.optimState.step;
    expect(step).toBeGreaterThan(200);
    expect(step).toBeLessThan(600);
    expect(ck.history!.losses.length).toBe(step);
    const res = await cli([...common, "--out", out, "--resume", "-q"]);
    expect(res.code, res.stderr).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, "full", "params.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(out, "params.json"), "utf8"));
    expect(b.params).toEqual(a.params);
    expect(b.lossHistory).toEqual(a.lossHistory);
    expect(existsSync(join(out, "results.h5ad"))).toBe(true);
    expect(existsSync(join(out, "checkpoint.ckpt"))).toBe(false);
  }, 120_000);

  // in-process: runCli returns the exit status the launcher exits with (cli-launcher.test.ts
  // checks that mapping through a real process)
  it("bad files and bad counts: clear errors, nothing written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-bad-"));
    const bad = join(dir, "bad.h5ad");
    writeFileSync(bad, "not hdf5");
    const r1 = await cli(["fit", bad, "--out", join(dir, "o1")]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/cannot read .*bad\.h5ad/);
    expect(existsSync(join(dir, "o1"))).toBe(false);
    const tenx = join(dir, "neg");
    const C = 3;
    const G = 2;
    write10x(
      tenx,
      createAnnData({ X: { format: "dense", data: new Float64Array([1, 2, 3, 1.5, 0, 1]), shape: [C, G] } }),
    );
    const r2 = await cli(["fit", tenx, "--out", join(dir, "o2")]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/not count data/);
    expect(existsSync(join(dir, "o2"))).toBe(false);
    const r3 = await cli(["fit", tenx, "--n-steps", "-3"]);
    expect(r3.code).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(["bad.h5ad", "neg"]);
  }, 60_000);
});
