// Issue 21 items 7 and 8, through the real launcher (bin/scribe.js) with real signals:
// SIGTERM checkpoints like Ctrl-C, and killing the launcher leaves no compute process behind.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../packages/scribe-models/bin/scribe.js", import.meta.url));

function makeData(dir: string): string {
  const C = 40;
  const G = 6;
  const data = new Float64Array(C * G);
  let s = 5;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = (s >> 8) % 6;
  }
  const path = join(dir, "tenx");
  write10x(path, createAnnData({ X: { format: "dense", data, shape: [C, G] } }));
  return path;
}

/**
 * Start `scribe fit` through the launcher; `onStep` fires once, at the first progress line
 * (step 100 of 1000: without a terminal, progress prints every 10 %). The child is killed
 * if the test gives up, so a failure never leaves a run behind.
 */
function startFit(
  data: string,
  out: string,
  onStep: (child: ChildProcess) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        "fit",
        data,
        "--model",
        "nbdm",
        "--n-steps",
        "1000",
        "--checkpoint-every",
        "1000000",
        "--out",
        out,
        "--threads",
        "1",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    let fired = false;
    child.stderr!.on("data", (b: Buffer) => {
      stderr += b.toString();
      const m = /step (\d+)\//.exec(stderr.slice(-200));
      if (!fired && m && Number(m[1]) >= 100 && Number(m[1]) < 1000) {
        fired = true;
        onStep(child);
      }
    });
    const guard = setTimeout(() => child.kill("SIGKILL"), 100_000);
    child.on("exit", (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stderr });
    });
  });
}

/** Pids of live processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(text)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("the launcher and signals", () => {
  it("SIGTERM writes a checkpoint and exits 143; the folder's lock is released", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-sig-"));
    const out = join(dir, "out");
    const r = await startFit(makeData(dir), out, (c) => c.kill("SIGTERM"));
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(
      /SIGTERM at step \d+; checkpoint written to .*checkpoint\.ckpt; rerun with --resume/,
    );
    expect(existsSync(join(out, "checkpoint.ckpt"))).toBe(true);
    expect(existsSync(join(out, "run.json"))).toBe(true);
    expect(existsSync(join(out, ".scribe.lock"))).toBe(false);
  }, 120_000);

  it("SIGKILL of the launcher leaves no process writing into --out (the command runs in the launcher's process)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-kill-"));
    const out = join(dir, "out-killed");
    let pid = -1;
    const r = await startFit(makeData(dir), out, (c) => {
      pid = c.pid!;
      c.kill("SIGKILL");
    });
    expect(r.signal).toBe("SIGKILL");
    await new Promise((res) => setTimeout(res, 500));
    expect(processesMentioning(out)).toEqual([]);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  }, 120_000);
});
