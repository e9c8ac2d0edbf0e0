import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSimulatedDe } from "./shard-sim-data.js";

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

let dir: string;
let data: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-sweep-"));
  data = await writeSimulatedDe(dir, 12); // 28 cells × 12 genes
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scribe sweep (local)", () => {
  it("fits each grid point into the fit output tree, compares them, and skips complete runs", async () => {
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
    const r = await cli(["sweep", cfg, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const nbdm = join(root, "sim_de", "nbdm", "svi", "defaults");
    const zinb = join(root, "sim_de", "zinb", "svi", "defaults");
    expect(existsSync(join(nbdm, "params.json")), readdirSync(root).join(",")).toBe(true);
    expect(existsSync(join(zinb, "params.json"))).toBe(true);
    const models = readFileSync(join(root, "compare", "sim_de", "models.csv"), "utf8")
      .trim()
      .split("\n");
    expect(models.length).toBe(3);
    expect(
      models
        .slice(1)
        .map((l) => l.split(",")[1])
        .sort(),
    ).toEqual(["nbdm", "zinb"]);

    // a sweep run is the same fit as scribe fit with the same settings (same seed: same parameters)
    const other = join(dir, "direct");
    const f = await cli([
      "fit",
      data,
      "--config",
      join(root, "sweep", "base.json"),
      "model.type=zinb",
      "--out-root",
      other,
      "-q",
    ]);
    expect(f.code, f.stderr).toBe(0);
    const params = (p: string) =>
      (JSON.parse(readFileSync(join(p, "params.json"), "utf8")) as { params?: unknown }).params;
    expect(Object.keys(params(zinb) as object).length).toBeGreaterThan(0);
    expect(params(join(other, "sim_de", "zinb", "svi", "defaults"))).toEqual(params(zinb));

    const again = await cli(["sweep", cfg]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/2 of 2 runs complete; 0 to run/);
  }, 180_000);

  it("names a bad grid key and a missing sweep section", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, `data:\n  path: ${data}\nsweep:\n  model.nonsense: [1, 2]\n`);
    const r = await cli(["sweep", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sweep\.model\.nonsense: .*unknown config key model\.nonsense/);
    const none = join(dir, "none.yaml");
    writeFileSync(none, `data:\n  path: ${data}\n`);
    const n = await cli(["sweep", none]);
    expect(n.code).toBe(1);
    expect(n.stderr).toMatch(/needs a 'sweep' section/);
  }, 60_000);
});
