// Issue 21: the scribe command never destroys its input, refuses other data on --resume,
// refuses counts float32 cannot hold, never writes NaN summaries silently, and says
// "must be positive" for negative numbers. Each case is the reproduction.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { refuseNonFiniteResults } from "@scribe/models/cli/finite-results.js";
import {
  checkResumeData,
  claimOutputFolder,
  dataFingerprint,
  LOCK_FILE,
  type RunRecord,
} from "@scribe/models/cli/run-folder.js";
import { createAnnData, type Matrix, toCsc, toCsr } from "@scribe/models/io/index.js";
import { write10x, writeH5ad } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { cliInProcess as cli } from "./cli-in-process.js";

const C = 24;
const G = 6;

/** Deterministic small counts (LCG), two conditions. */
function counts(): Float64Array {
  const data = new Float64Array(C * G);
  let s = 11;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = (s >> 8) % 7;
  }
  return data;
}

function annData(data = counts()) {
  return createAnnData({
    X: { format: "dense", data, shape: [C, G] },
    obs: {
      index: Array.from({ length: C }, (_, i) => `cell${i}`),
      columns: { group: Array.from({ length: C }, (_, i) => (i % 2 ? "B" : "A")) },
    },
    var: { index: Array.from({ length: G }, (_, j) => `gene${j}`), columns: {} },
  });
}

describe("outputs never overwrite inputs (item 2)", () => {
  it("scribe de DATA --out DATA, --out folder/matrix.mtx and a symlink to the input are refused before computing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-safety-"));
    const h5 = join(dir, "data.h5ad");
    await writeH5ad(h5, annData());
    const before = readFileSync(h5);
    const r1 = await cli(["de", h5, "--condition", "group", "--reference", "A", "--out", h5, "-q"]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/--out would overwrite the input file .*data\.h5ad/);
    expect(readFileSync(h5).equals(before)).toBe(true);

    const link = join(dir, "link.csv");
    symlinkSync(h5, link);
    const r2 = await cli(["de", h5, "--condition", "group", "--reference", "A", "--out", link, "-q"]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/would overwrite the input file .*data\.h5ad \(as .*link\.csv\)/);
    expect(readFileSync(h5).equals(before)).toBe(true);

    const tenx = join(dir, "tenx");
    write10x(tenx, annData());
    writeFileSync(
      join(tenx, "obs.tsv"),
      `barcode\tgroup\n${Array.from({ length: C }, (_, i) => `cell${i}\t${i % 2 ? "B" : "A"}`).join("\n")}\n`,
    );
    const mtx = readFileSync(join(tenx, "matrix.mtx"));
    const r3 = await cli([
      "de",
      tenx,
      "--condition",
      "group",
      "--reference",
      "A",
      "--out",
      join(tenx, "matrix.mtx"),
      "-q",
    ]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/would overwrite the input file .*matrix\.mtx/);
    expect(readFileSync(join(tenx, "matrix.mtx")).equals(mtx)).toBe(true);
    // a new file inside the data folder is fine
    const r4 = await cli([
      "de",
      tenx,
      "--condition",
      "group",
      "--reference",
      "A",
      "--method",
      "mom",
      "--out",
      join(tenx, "de.csv"),
      "-q",
    ]);
    expect(r4.code, r4.stderr).toBe(0);
  }, 180_000);

  it("scribe fit folder/results.h5ad --out folder is refused and the input kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-safety-"));
    const h5 = join(dir, "results.h5ad");
    await writeH5ad(h5, annData());
    const before = readFileSync(h5);
    const r = await cli(["fit", h5, "--out", dir, "--n-steps", "5", "-q"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out would overwrite the input file .*results\.h5ad/);
    expect(readFileSync(h5).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["results.h5ad"]);
  }, 180_000);
});

describe("clear usage errors (small things)", () => {
  it("negative --n-steps, --seed, --learning-rate and --threads say 'must be positive'", async () => {
    const cases: [string[], RegExp][] = [
      [["--n-steps", "-3"], /--n-steps must be a positive integer or 0, got "-3"/],
      [["--seed", "-1"], /--seed must be a positive integer or 0, got "-1"/],
      [["--learning-rate", "-0.1"], /--learning-rate must be a positive number, got "-0.1"/],
      [["--threads", "0"], /--threads must be a positive integer, got "0"/],
    ];
    for (const [opt, msg] of cases) {
      const r = await cli(["fit", "nowhere", ...opt]);
      expect(r.code, opt.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/ambiguous/);
    }
  });

  it("an output folder that cannot be created fails before the data is read, leaving nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-safety-"));
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    const tenx = join(dir, "tenx");
    write10x(tenx, annData());
    const r = await cli(["fit", tenx, "--out", join(file, "sub"), "-q"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out .*plain\.txt\/sub: .*plain\.txt is a file, not a directory/);
    const r2 = await cli([
      "de",
      tenx,
      "--condition",
      "group",
      "--reference",
      "A",
      "--out",
      join(dir, "missing", "de.csv"),
    ]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/directory .*missing does not exist/);
    expect(readdirSync(dir).sort()).toEqual(["plain.txt", "tenx"]);
  });
});

describe("counts float32 cannot hold, NaN results (item 6)", () => {
  it("a count of 1e9 is refused with a message naming the cell; 123456789 would round to 123456792 in float32", async () => {
    expect(Math.fround(123456789)).toBe(123456792); // why: float32 is exact only to 2^24
    const dir = mkdtempSync(join(tmpdir(), "scribe-safety-"));
    const data = counts();
    data[5 * G + 2] = 1e9;
    const tenx = join(dir, "tenx");
    write10x(tenx, createAnnData({ X: { format: "dense", data, shape: [C, G] } }));
    const out = join(dir, "out");
    const r = await cli(["fit", tenx, "--out", out, "--n-steps", "5", "-q"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /1 above 16777216 = 2\^24, the largest count float32 stores exactly.*row 5\b.*column 2\b.*value 1000000000/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("non-finite per-cell summaries are an error naming the cells, not a file", () => {
    const ad = annData();
    const ll = Array.from({ length: C }, () => -10);
    ll[3] = Number.NaN;
    ll[17] = Number.NEGATIVE_INFINITY;
    const bad = { ...ad, obs: { ...ad.obs, columns: { ...ad.obs.columns, scribe_log_likelihood: ll } } };
    expect(() => refuseNonFiniteResults(bad, "results.h5ad")).toThrow(
      /obs scribe_log_likelihood is not finite for 2 cells \(cell3, cell17\)/,
    );
    expect(() => refuseNonFiniteResults(ad, "results.h5ad")).not.toThrow();
  });
});

describe("resume is tied to the data by content (item 4) and folders are locked (item 7)", () => {
  it("the fingerprint is storage-independent and changes when cells are permuted with the same shape and total", () => {
    const base = counts();
    const dense: Matrix = { format: "dense", data: base, shape: [C, G] };
    const names = Array.from({ length: C }, (_, i) => `cell${i}`);
    const genes = Array.from({ length: G }, (_, j) => `gene${j}`);
    const fp = dataFingerprint(dense, names, genes);
    expect(dataFingerprint(toCsr(dense), names, genes)).toBe(fp);
    expect(dataFingerprint(toCsc(dense), names, genes)).toBe(fp);
    // cells permuted (rows reversed), names kept: same shape and total count
    const perm = new Float64Array(C * G);
    for (let i = 0; i < C; i++) perm.set(base.subarray((C - 1 - i) * G, (C - i) * G), i * G);
    expect(perm.reduce((a, b) => a + b, 0)).toBe(base.reduce((a, b) => a + b, 0));
    expect(dataFingerprint({ format: "dense", data: perm, shape: [C, G] }, names, genes)).not.toBe(fp);
  });

  it("--resume on cells-permuted data (same shape and total) is refused before any work", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-safety-"));
    const base = counts();
    const perm = new Float64Array(C * G);
    for (let i = 0; i < C; i++) perm.set(base.subarray((C - 1 - i) * G, (C - i) * G), i * G);
    const a = join(dir, "a");
    const b = join(dir, "b");
    write10x(a, createAnnData({ X: { format: "dense", data: base, shape: [C, G] } }));
    write10x(b, createAnnData({ X: { format: "dense", data: perm, shape: [C, G] } }));
    const out = join(dir, "out");
    // a short real run on `a` leaves its run record (with the data's fingerprint); a checkpoint
    // beside it stands for the interrupted state
    const first = await cli([
      "fit",
      a,
      "--out",
      out,
      "--model",
      "nbdm",
      "--n-steps",
      "3",
      "--n-samples",
      "2",
      "-q",
    ]);
    expect(first.code, first.stderr).toBe(0);
    const rec = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as RunRecord;
    expect(rec.shape).toEqual([C, G]);
    writeFileSync(join(out, "checkpoint.ckpt"), "{}");
    expect(() => checkResumeData(out, rec)).not.toThrow();
    const r = await cli(["fit", b, "--out", out, "--resume", "--n-steps", "5", "-q"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /--resume: the checkpoint in .*out was made from other data .*the counts or the cell\/gene names differ/,
    );
    expect(readFileSync(join(out, "checkpoint.ckpt"), "utf8")).toBe("{}");
  }, 180_000);

  it("a folder locked by a live process is refused; a lock left by a dead one is taken over", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-safety-"));
    const tenx = join(dir, "tenx");
    write10x(tenx, annData());
    const out = join(dir, "out");
    mkdirSync(out);
    const live = spawnSync("sh", ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"], { encoding: "utf8" });
    const livePid = Number(live.stdout.trim());
    try {
      writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: livePid, started: "earlier" }));
      const r = await cli(["fit", tenx, "--out", out, "--n-steps", "5", "-q"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`in use by another scribe run \\(pid ${livePid}, started earlier\\)`),
      );
    } finally {
      process.kill(livePid, "SIGKILL");
    }
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    });
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: Number(dead.stdout), started: "earlier" }));
    const held = claimOutputFolder(out);
    expect(JSON.parse(readFileSync(join(out, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    held.release();
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});
