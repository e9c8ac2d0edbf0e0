import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { deTableRows, momTest, nbFit, nbTest } from "@scribe/models/de/index.js";
import { categorical, createAnnData, write10x, writeH5ad } from "@scribe/models/io/node.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../packages/scribe-models/bin/scribe.js", import.meta.url));
const GEUVADIS = fileURLToPath(
  new URL("../../examples/data/geuvadis_humangender_bulk/geuvadis_humangender_bulk.h5ad", import.meta.url),
);
const HEADER = "gene,log2FC,statistic,pval,padj,dispersion";
/** The eight Y-chromosome genes (var index = Ensembl ids): RPS4Y1, DDX3Y, KDM5D, UTY, EIF1AY, ZFY, USP9Y, NLGN4Y. */
const Y_GENES = [
  "ENSG00000129824",
  "ENSG00000067048",
  "ENSG00000012817",
  "ENSG00000183878",
  "ENSG00000198692",
  "ENSG00000067646",
  "ENSG00000114374",
  "ENSG00000165246",
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a subprocess, through the launcher (tsx, as in development). */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI in-process with captured output (fast; for the error paths). */
async function cliInProcess(args: string[], stderrIsTTY = false): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

function parseCsv(text: string): { header: string; rows: string[][] } {
  const lines = text.trimEnd().split("\n");
  // fields are plain or double-quoted (with "" for a quote)
  const split = (l: string) =>
    [...l.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) =>
      m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!,
    );
  return { header: lines[0]!, rows: lines.slice(1).map(split) };
}

// synthetic: 8 samples (4 A, 4 B) × 30 genes, g0 strongly up in B
const N = 8;
const G = 30;
const COND = ["A", "A", "A", "A", "B", "B", "B", "B"];
let dir = "";
let syn = "";
let tenx = "";
let lognorm = "";
let counts64: Float64Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scribe-cli-"));
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const X = new Float32Array(N * G);
  for (let i = 0; i < N; i++)
    for (let g = 0; g < G; g++) X[i * G + g] = Math.floor(rnd() * 20) + 1 + (g === 0 && i >= 4 ? 200 : 0);
  counts64 = new Float64Array(G * N);
  for (let i = 0; i < N; i++) for (let g = 0; g < G; g++) counts64[g * N + i] = X[i * G + g]!;
  const ad = createAnnData({
    X: { format: "dense", data: X, shape: [N, G] },
    obs: {
      index: COND.map((_, i) => `s${i}`),
      columns: {
        group: categorical(COND),
        single: categorical(COND.map(() => "x")),
        three: COND.map((c, i) => (i % 3 === 0 ? "C" : c)),
      },
    },
    var: Array.from({ length: G }, (_, g) => (g === 1 ? "gene,with comma" : `g${g}`)),
    layers: { lognorm: { format: "dense", data: X.map((v) => Math.log1p(v)), shape: [N, G] } },
  });
  syn = join(dir, "syn.h5ad");
  await writeH5ad(syn, ad);
  tenx = join(dir, "tenx");
  write10x(tenx, ad);
  lognorm = join(dir, "lognorm.h5ad");
  await writeH5ad(lognorm, createAnnData({ X: ad.layers.lognorm!, obs: ad.obs, var: ad.var }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("scribe de on a synthetic h5ad (subprocess)", () => {
  it("writes the CSV atomically, sorted by p-value, with round-trip numbers", async () => {
    const out = join(dir, "syn.csv");
    const r = await cli(["de", syn, "--condition", "group", "--reference", "A", "--out", out]);
    expect(r.stderr).toContain("scribe de: [0.0 s] reading");
    expect(r.stderr).toMatch(/fitting NB-GLM/);
    expect(r.stderr).toMatch(/testing \(quasi-likelihood F\)/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ of 30 genes with padj < 0.05 \(ql, B vs A\); results in /);
    const { header, rows } = parseCsv(readFileSync(out, "utf8"));
    expect(header).toBe(HEADER);
    expect(rows).toHaveLength(G);
    expect(rows[0]![0]).toBe("g0");
    expect(Number(rows[0]![1])).toBeGreaterThan(2);
    // quoted gene name with a comma
    expect(readFileSync(out, "utf8")).toContain('"gene,with comma",');
    expect(rows.map((row) => row.length)).toEqual(rows.map(() => 6));
    expect(rows.some((row) => row[0] === "gene,with comma")).toBe(true);
    // numbers round-trip exactly against the library
    const fit = nbFit({ data: counts64, nGenes: G, nSamples: N }, { conditions: COND, reference: "A" });
    const lib = deTableRows(nbTest(fit, { contrast: "conditionB" }));
    expect(Number(rows[0]![3])).toBe(lib[0]!.pval);
    expect(Number(rows[0]![1])).toBe(lib[0]!.log2FC);
    const p = rows.map((row) => Number(row[3]));
    for (let k = 1; k < p.length; k++) expect(p[k]!).toBeGreaterThanOrEqual(p[k - 1]!);
    // no temp file left behind
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  // the usage and runtime statuses through a real process; the top table and fit's usage error
  // in process (the launcher's stdout and status 0 are the previous test's)
  it("prints the top table without --out; exit codes through the launcher", async () => {
    const [ok, usage, runtime, fit] = await Promise.all([
      cliInProcess([
        "de",
        syn,
        "--condition",
        "group",
        "--reference",
        "A",
        "--method",
        "mom",
        "--top",
        "3",
        "-q",
      ]),
      cli(["de", syn, "--condition", "group", "--reference", "A", "--bogus"]),
      cli(["de", syn, "--condition", "nope", "--reference", "A"]),
      cliInProcess(["fit", syn, "--bogus"]),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe("");
    const lines = ok.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^gene\s+log2FC\s+t\s+pval\s+padj\s+dispersion$/);
    expect(lines[1]).toMatch(/^g0\s+3\.\d+\s/);
    expect(lines).toHaveLength(6); // header, 3 rows, blank, summary
    expect(lines[5]).toMatch(/^\d+ of 30 genes with padj < 0.05 \(mom, B vs A\)$/);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown option '--bogus'");
    expect(runtime.code).toBe(1);
    expect(runtime.stderr).toContain('obs has no column "nope"');
    expect(fit.code).toBe(2);
    expect(fit.stderr).toContain("unknown option '--bogus'");
  }, 240_000); // two launcher processes on a loaded 2-core machine
});

describe.skipIf(!existsSync(GEUVADIS))(
  "scribe de on GEUVADIS (85 samples × 10,101 genes, in-process)",
  () => {
    it("--condition sex --reference Female puts the Y genes in the top 10", async () => {
      const out = join(dir, "geuvadis.csv");
      const r = await cliInProcess([
        "de",
        GEUVADIS,
        "--condition",
        "sex",
        "--reference",
        "Female",
        "--out",
        out,
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("10101 genes × 85 samples; Male vs Female");
      const { header, rows } = parseCsv(readFileSync(out, "utf8"));
      expect(header).toBe(HEADER);
      expect(rows).toHaveLength(10101);
      const top = rows.slice(0, 10).map((row) => row[0]);
      for (const id of Y_GENES) expect(top).toContain(id);
      for (const row of rows.filter((row) => Y_GENES.includes(row[0]!))) {
        expect(Number(row[1])).toBeGreaterThan(5);
        expect(Number(row[4])).toBeLessThan(1e-20);
      }
    });
  },
);

describe("scribe de errors (in-process)", () => {
  const base = () => [syn, "--condition", "group", "--reference", "A"];
  const cases: [string, () => string[], number, RegExp][] = [
    [
      "missing condition column",
      () => [syn, "--condition", "grp", "--reference", "A"],
      1,
      /obs has no column "grp"; available columns: group, single, three$/,
    ],
    [
      "absent reference level",
      () => [syn, "--condition", "group", "--reference", "Z"],
      1,
      /reference level "Z" is not a level of "group"; levels: A, B$/,
    ],
    [
      "one-level condition",
      () => [syn, "--condition", "single", "--reference", "x"],
      1,
      /"single" has a single level \("x"\); differential expression needs two/,
    ],
    [
      "non-count X",
      () => [lognorm, "--condition", "group", "--reference", "A"],
      1,
      /X is not count data: 240 entries are not valid counts \(240 non-integer\); first: cell "s0"/,
    ],
    ["non-count layer", () => [...base(), "--layer", "lognorm"], 1, /layer "lognorm" is not count data/],
    ["absent layer", () => [...base(), "--layer", "raw"], 1, /no layer "raw"; available layers: lognorm/],
    [
      "three levels without --target",
      () => [syn, "--condition", "three", "--reference", "A"],
      1,
      /has 3 levels \(A, B, C\); choose .* with --target/,
    ],
    [
      "absent target",
      () => [syn, "--condition", "three", "--reference", "A", "--target", "D"],
      1,
      /target level "D" is not a level of "three"; levels: A, B, C/,
    ],
    [
      "missing file",
      () => [join(dir, "nope.h5ad"), "--condition", "group", "--reference", "A"],
      1,
      /no such file or directory: .*nope\.h5ad/,
    ],
    [
      "not HDF5",
      () => [join(dir, "not.h5ad"), "--condition", "group", "--reference", "A"],
      1,
      /not an HDF5 file/,
    ],
    [
      "10x without the column",
      () => [tenx, "--condition", "sex", "--reference", "A"],
      1,
      /available columns: group, single, three \(a 10x folder takes obs columns from obs\.tsv\)/,
    ],
    [
      "unwritable --out",
      () => [...base(), "--out", join(dir, "no", "x.csv")],
      1,
      /cannot write .*x\.csv: directory .* does not exist/,
    ],
    ["unknown option", () => [...base(), "--bogus"], 2, /unknown option '--bogus'; run 'scribe de --help'/],
    ["missing --reference", () => [syn, "--condition", "group"], 2, /missing required option --reference/],
    [
      "option without value",
      () => [syn, "--reference", "A", "--condition"],
      2,
      /option '--condition <value>' argument missing/,
    ],
    ["missing DATA", () => ["--condition", "group", "--reference", "A"], 2, /missing DATA/],
    [
      "two DATA",
      () => [syn, syn, "--condition", "group", "--reference", "A"],
      2,
      /expected one DATA argument, got 2/,
    ],
    [
      "bad --method",
      () => [...base(), "--method", "wald"],
      2,
      /invalid value "wald" for --method; expected one of ql, lrt, mom/,
    ],
    [
      "bad --size-factors",
      () => [...base(), "--size-factors", "tmm"],
      2,
      /invalid value "tmm" for --size-factors; expected one of normed_sum, ratio, poscounts/,
    ],
    ["bad --top", () => [...base(), "--top", "0"], 2, /invalid value "0" for --top/],
  ];
  it.each(cases)("%s", async (_name, args, code, re) => {
    writeFileSync(join(dir, "not.h5ad"), "plain text, not HDF5\n");
    const r = await cliInProcess(["de", ...args()]);
    expect(r.code).toBe(code);
    const err = r.stderr.trimEnd().split("\n");
    const last = err[err.length - 1]!;
    expect(last).toMatch(/^scribe de: error: /);
    expect(last).toMatch(re);
    expect(r.stdout).toBe("");
  });

  it("a failed run leaves an existing --out file untouched and writes nothing new", async () => {
    const out = join(dir, "keep.csv");
    writeFileSync(out, "old\n");
    const r = await cliInProcess(["de", syn, "--condition", "group", "--reference", "Z", "--out", out]);
    expect(r.code).toBe(1);
    expect(readFileSync(out, "utf8")).toBe("old\n");
    const fresh = join(dir, "fresh.csv");
    await cliInProcess(["de", syn, "--condition", "single", "--reference", "x", "--out", fresh]);
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("scribe dispatcher and the de variants (in-process)", () => {
  it("help, version, unknown command, fit", async () => {
    const help = await cliInProcess(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: scribe COMMAND/);
    expect(help.stdout).toMatch(/\n {2}de +differential expression/);
    expect(help.stdout).toMatch(/\n {2}fit +fit a SCRIBE model/);
    const deHelp = await cliInProcess(["de", "--help"]);
    expect(deHelp.code).toBe(0);
    expect(deHelp.stdout).toMatch(/^Usage: scribe de DATA --condition COLUMN --reference LEVEL/);
    expect((await cliInProcess(["help", "de"])).stdout).toBe(deHelp.stdout);
    const none = await cliInProcess([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Usage: scribe COMMAND/);
    expect((await cliInProcess(["--version"])).stdout).toMatch(/^scribe \d+\.\d+\.\d+\n$/);
    const unknown = await cliInProcess(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `scribe: error: unknown command "frobnicate"; available: compare-models, compare, de, fit, pseudobulk, sweep, visualize (run 'scribe --help')\n`,
    );
    const fit = await cliInProcess(["fit", "--help"]);
    expect(fit.code).toBe(0);
    expect(fit.stdout).toMatch(/^Usage: scribe fit DATA/);
  });

  it("10x folder, lrt, mom, --target, TTY progress", async () => {
    const tty = await cliInProcess(
      ["de", tenx, "--condition", "group", "--reference", "A", "--top", "2"],
      true,
    );
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain("\r\x1b[Kscribe de: fitting NB-GLM (");
    expect(tty.stderr).toMatch(/fitting NB-GLM \(\d+\.\d s\)\n/);
    expect(tty.stdout.split("\n")[1]).toMatch(/^g0\s/);
    const lrtOut = join(dir, "lrt.csv");
    const lrt = await cliInProcess([
      "de",
      syn,
      "--condition",
      "group",
      "--reference",
      "A",
      "--method",
      "lrt",
      "--out",
      lrtOut,
      "-q",
    ]);
    expect(lrt.code).toBe(0);
    expect(lrt.stderr).toBe("");
    expect(parseCsv(readFileSync(lrtOut, "utf8")).rows[0]![0]).toBe("g0");
    const momOut = join(dir, "mom.csv");
    await cliInProcess([
      "de",
      syn,
      "--condition",
      "group",
      "--reference",
      "A",
      "--method",
      "mom",
      "--out",
      momOut,
      "-q",
    ]);
    const mom = deTableRows(
      momTest({ data: counts64, nGenes: G, nSamples: N }, { conditions: COND, reference: "A" }),
    );
    const momRows = parseCsv(readFileSync(momOut, "utf8")).rows;
    expect(Number(momRows[0]![2])).toBe(mom[0]!.statistic);
    // three levels: B vs A; mom keeps only the two compared groups
    const three = await cliInProcess([
      "de",
      syn,
      "--condition",
      "three",
      "--reference",
      "A",
      "--target",
      "B",
      "--method",
      "mom",
    ]);
    expect(three.code).toBe(0);
    expect(three.stderr).toMatch(/30 genes × 5 samples; B vs A/);
  });
});
