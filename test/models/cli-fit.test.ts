import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserializeSVIState } from "@scribe/infer";
import { createAnnData } from "@scribe/models/io/index.js";
import { write10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const MAIN = "packages/scribe-models/src/cli/main.ts";
const tsx = ["--import", "tsx", MAIN, "fit"];

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
  it("SIGINT writes a checkpoint; --resume equals an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-fit-"));
    const data = makeData(dir);
    const common = [
      data,
      "--model",
      "nbdm",
      "--n-steps",
      "1200",
      "--learning-rate",
      "0.01",
      "--checkpoint-every",
      "100000",
      "--n-samples",
      "5",
    ];
    const full = spawnSync(process.execPath, [...tsx, ...common, "--out", join(dir, "full"), "-q"], {
      encoding: "utf8",
    });
    expect(full.status, full.stderr).toBe(0);
    const out = join(dir, "int");
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [...tsx, ...common, "--out", out], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let sent = false;
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
    expect(step).toBeLessThan(1200);
    expect(ck.history!.losses.length).toBe(step);
    const res = spawnSync(process.execPath, [...tsx, ...common, "--out", out, "--resume", "-q"], {
      encoding: "utf8",
    });
    expect(res.status, res.stderr).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, "full", "params.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(out, "params.json"), "utf8"));
    expect(b.params).toEqual(a.params);
    expect(b.lossHistory).toEqual(a.lossHistory);
    expect(existsSync(join(out, "results.h5ad"))).toBe(true);
    expect(existsSync(join(out, "checkpoint.ckpt"))).toBe(false);
  }, 120_000);

  it("bad files and bad counts: clear errors, nothing written", () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-bad-"));
    const bad = join(dir, "bad.h5ad");
    writeFileSync(bad, "not hdf5");
    const r1 = spawnSync(process.execPath, [...tsx, bad, "--out", join(dir, "o1")], { encoding: "utf8" });
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(/cannot read .*bad\.h5ad/);
    expect(existsSync(join(dir, "o1"))).toBe(false);
    const tenx = join(dir, "neg");
    const C = 3;
    const G = 2;
    write10x(
      tenx,
      createAnnData({ X: { format: "dense", data: new Float64Array([1, 2, 3, 1.5, 0, 1]), shape: [C, G] } }),
    );
    const r2 = spawnSync(process.execPath, [...tsx, tenx, "--out", join(dir, "o2")], { encoding: "utf8" });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/not count data/);
    expect(existsSync(join(dir, "o2"))).toBe(false);
    const r3 = spawnSync(process.execPath, [...tsx, tenx, "--n-steps", "-3"], { encoding: "utf8" });
    expect(r3.status).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(["bad.h5ad", "neg"]);
  }, 180_000);
});
