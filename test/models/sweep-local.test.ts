import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, comparedModels, writeTwoModelSweep } from "../helpers/sweep-fixture.js";
import { writeSimulatedDe } from "./shard-sim-data.js";

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
    const cfg = writeTwoModelSweep(dir, data, root);
    const r = await cli(["sweep", cfg, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const nbdm = join(root, "sim_de", "nbdm", "svi", "defaults");
    const zinb = join(root, "sim_de", "zinb", "svi", "defaults");
    expect(existsSync(join(nbdm, "params.json")), readdirSync(root).join(",")).toBe(true);
    expect(existsSync(join(zinb, "params.json"))).toBe(true);
    expect(comparedModels(readFileSync(join(root, "compare", "sim_de", "models.csv"), "utf8"))).toEqual([
      "nbdm",
      "zinb",
    ]);

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

    // resume: a run whose folder lacks params.json (interrupted) is redone, the complete one is not
    const mtime = (p: string) => statSync(join(p, "params.json")).mtimeMs;
    const nbdmBefore = mtime(nbdm);
    const zinbParams = readFileSync(join(zinb, "params.json"), "utf8");
    rmSync(join(zinb, "params.json"));
    const resumed = await cli(["sweep", cfg]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/1 of 2 runs complete; 1 to run/);
    expect(resumed.stderr).toMatch(/run 1: .*zinb.* has no params\.json \(interrupted\); running it again/);
    expect(resumed.stderr).toMatch(/run 2\/2: model\.type=zinb/);
    expect(resumed.stderr).not.toMatch(/run 1\/2:/);
    expect(mtime(nbdm)).toBe(nbdmBefore);
    // the redone run is the same seeded fit, so the same parameters as before
    expect(params(zinb)).toEqual((JSON.parse(zinbParams) as { params?: unknown }).params);
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
