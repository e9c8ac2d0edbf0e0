import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { geneRanges } from "@scribe/models/shard/gene-ranges.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";
import { parseDeCsv, writeSimulatedDe } from "./shard-sim-data.js";

/**
 * The sharded table must be the unsharded one: same genes in the same order, every number
 * within 1e-12 (relative; both are float64 runs of the same arithmetic, so in practice
 * bit-identical) and padj exactly equal (BH over all genes in the merge).
 */
function expectSameTable(a: string, b: string): void {
  const x = parseDeCsv(a);
  const y = parseDeCsv(b);
  expect(y.genes).toEqual(x.genes);
  for (const g of x.genes) {
    const u = x.rows.get(g)!;
    const v = y.rows.get(g)!;
    for (let j = 0; j < u.length; j++) {
      if (Number.isNaN(u[j]!)) expect(v[j]).toBeNaN();
      else expect(Math.abs(v[j]! - u[j]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(u[j]!)));
    }
    expect(v[3]).toBe(u[3]); // padj
  }
}

// 2,000 genes of the simulation (16,000 in de-simulation.test.ts): whether the sharded table is
// the unsharded one does not depend on the gene count
const N_GENES = 2000;
let dir: string;
let data: string;
let unsharded: string;
const base = () => ["de", data, "--condition", "condition", "--reference", "A", "-q"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-shard-"));
  data = await writeSimulatedDe(dir, N_GENES);
  const r = await cli([...base(), "--out", join(dir, "unsharded.csv")]);
  expect(r.code, r.stderr).toBe(0);
  unsharded = readFileSync(join(dir, "unsharded.csv"), "utf8");
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("geneRanges", () => {
  it("cuts genes into contiguous near-equal shards covering every gene once", () => {
    const r = geneRanges(10, 3);
    expect(r).toEqual([
      { index: 0, start: 0, end: 4 },
      { index: 1, start: 4, end: 7 },
      { index: 2, start: 7, end: 10 },
    ]);
    expect(() => geneRanges(2, 3)).toThrow(/2 genes cannot be cut into 3/);
  });
});

describe("scribe de --shards (local, simulated 28 × 2,000)", () => {
  it("equals the unsharded table (ql), and resumes only missing or damaged shards", async () => {
    const out = join(dir, "sharded.csv");
    const shardDir = `${out}.shards`;
    const r = await cli([...base(), "--out", out, "--shards", "4"].filter((a) => a !== "-q"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 shards\); results in/);
    expectSameTable(unsharded, readFileSync(out, "utf8"));
    const unshardedCalls = parseDeCsv(unsharded).genes.length;
    expect(unshardedCalls).toBe(N_GENES);

    // resume: shard 2 missing, shard 3 damaged (one payload byte changed); 0 and 1 are kept
    const path = (k: number) => join(shardDir, `shard-${k}-of-4.json`);
    const kept = [0, 1].map((k) => statSync(path(k)).mtimeMs);
    unlinkSync(path(2));
    const text = readFileSync(path(3), "utf8");
    const at = text.indexOf('"meanMu":"') + 12;
    writeFileSync(path(3), text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1));
    // a merge alone never reads a missing or damaged shard
    const m = await cli([...base(), "--out", out, "--shards", "4", "--merge-shards"]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/shard 2 \(missing\).*shard 3 \(checksum mismatch\)/);

    const again = await cli([...base(), "--out", out, "--shards", "4"].filter((a) => a !== "-q"));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/shard 1\/4: complete, reused/);
    expect(again.stderr).toMatch(/shard 2\/4: complete, reused/);
    expect(again.stderr).toMatch(/shard 4\/4: checksum mismatch; recomputing/);
    expect(again.stderr).not.toMatch(/shard 1\/4: genes/);
    expect([0, 1].map((k) => statSync(path(k)).mtimeMs)).toEqual(kept);
    expectSameTable(unsharded, readFileSync(out, "utf8"));
  }, 120_000);

  it("lrt through shard tasks and a separate merge equals the unsharded lrt", async () => {
    const base = () => ["de", data, "--condition", "condition", "--reference", "A", "-q"];
    const plain = join(dir, "lrt.csv");
    expect((await cli([...base(), "--method", "lrt", "--out", plain])).code).toBe(0);
    const out = join(dir, "lrt-sharded.csv");
    const sd = join(dir, "lrt-shards");
    for (let k = 0; k < 3; k++) {
      const r = await cli([
        ...base(),
        "--method",
        "lrt",
        "--out",
        out,
        "--shards",
        "3",
        "--shard-dir",
        sd,
        "--shard-index",
        String(k),
      ]);
      expect(r.code, r.stderr).toBe(0);
    }
    const m = await cli([
      ...base(),
      "--method",
      "lrt",
      "--out",
      out,
      "--shards",
      "3",
      "--shard-dir",
      sd,
      "--merge-shards",
    ]);
    expect(m.code, m.stderr).toBe(0);
    expectSameTable(readFileSync(plain, "utf8"), readFileSync(out, "utf8"));
    // shards of another run (other reference level) are not reused
    const other = await cli([
      "de",
      data,
      "--condition",
      "condition",
      "--reference",
      "B",
      "--method",
      "lrt",
      "--out",
      out,
      "--shards",
      "3",
      "--shard-dir",
      sd,
      "--merge-shards",
    ]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/shard 0 \(from another run/);
  }, 120_000);

  it("refuses bad shard options with a usage error", async () => {
    const r = await cli([...base(), "--shards", "0", "--out", join(dir, "x.csv")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shards must be an integer ≥ 1/);
    const noOut = await cli([...base(), "--shards", "2"]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--shards needs --out/);
    const mom = await cli([...base(), "--shards", "2", "--method", "mom", "--out", join(dir, "x.csv")]);
    expect(mom.code).toBe(2);
    const set = await cli([
      ...base(),
      "--shards",
      "2",
      "--slurm",
      "--slurm-set",
      "=x",
      "--out",
      join(dir, "x.csv"),
    ]);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/--slurm-set expects KEY=VALUE/);
  }, 60_000);
});
