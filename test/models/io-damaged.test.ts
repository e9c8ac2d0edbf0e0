// Issue 21: damaged or unusual input files. An .h5ad without X is an error that offers the
// layers and .raw (and --raw / --layer read them); a truncated or corrupt file is one line
// naming the file; and a seeded fuzz suite (fast-check) of truncations, bit flips and wrong
// dtypes of real .h5ad and 10x files never crashes or hangs the process and always ends in a
// clear error or a read that passes the AnnData checks.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "@scribe/models/cli/main.js";
import type { CliIO } from "@scribe/models/cli/util.js";
import { h5 } from "@scribe/models/io/h5-runtime.js";
import { writeFrame, writeMatrix } from "@scribe/models/io/h5ad-write.js";
import type { Matrix } from "@scribe/models/io/index.js";
import { MissingXError, read10x, readH5ad } from "@scribe/models/io/node.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const PBMC = fileURLToPath(new URL("../../examples/data/pbmc3k_sctransform", import.meta.url));
const PBMC_H5AD = fileURLToPath(
  new URL("../../examples/data/pbmc3k_sctransform/pbmc3k_sctransform.h5ad", import.meta.url),
);

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const io: CliIO = {
    stdout: () => {},
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTTY: false,
  };
  const code = await runCli(args, io);
  return { code, stderr };
}

const C = 12;
const G = 5;
/** Deterministic pseudo-random counts (LCG), times `scale`. */
function counts(scale: number): Matrix {
  let s = 3;
  const data = Float64Array.from({ length: C * G }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return ((s >> 8) % 9) * scale;
  });
  return { format: "dense", data, shape: [C, G] };
}
const names = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);

/** An .h5ad with log-normalised-looking X absent, a `counts` layer and a `.raw` holding counts. */
async function writeWithoutX(path: string, withRaw: boolean): Promise<void> {
  const lib = await h5();
  const f = new lib.File(path, "w");
  f.create_attribute("encoding-type", "anndata");
  f.create_attribute("encoding-version", "0.1.0");
  writeFrame(
    f,
    "obs",
    { index: names("cell", C), columns: { group: names("g", C).map((_, i) => (i % 2 ? "B" : "A")) } },
    {},
  );
  writeFrame(f, "var", { index: names("gene", G), columns: {} }, {});
  const layers = f.create_group("layers");
  layers.create_attribute("encoding-type", "dict");
  layers.create_attribute("encoding-version", "0.1.0");
  writeMatrix(layers, "counts", counts(1), {});
  if (withRaw) {
    const raw = f.create_group("raw");
    raw.create_attribute("encoding-type", "raw");
    raw.create_attribute("encoding-version", "0.1.0");
    writeMatrix(raw, "X", counts(2), {});
    writeFrame(raw, "var", { index: names("rawgene", G), columns: {} }, {});
  }
  f.close();
}

describe(".h5ad without X (item 5)", () => {
  it("reading is an error listing the layers and .raw; --layer and --raw read them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-nox-"));
    const path = join(dir, "nox.h5ad");
    await writeWithoutX(path, true);
    const err = await readH5ad(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingXError);
    expect((err as MissingXError).layers).toEqual(["counts"]);
    expect((err as MissingXError).raw).toEqual({ shape: [C, G] });
    const raw = await readH5ad(path, { xSource: "raw" });
    expect(Array.from(raw.X.data as ArrayLike<number>)).toEqual(Array.from(counts(2).data));
    expect(raw.var.index[0]).toBe("rawgene0");
    const layer = await readH5ad(path, { xSource: { layer: "counts" } });
    expect(Array.from(layer.X.data as ArrayLike<number>)).toEqual(Array.from(counts(1).data));

    const r = await cli(["fit", path, "--out", join(dir, "o"), "-q"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot read .*nox\.h5ad: it has no X matrix; use --layer NAME \(layers: counts\) or --raw \(\.raw: 12 × 5\)/,
    );
    const de = await cli([
      "de",
      path,
      "--condition",
      "group",
      "--reference",
      "A",
      "--method",
      "mom",
      "--raw",
      "--out",
      join(dir, "raw.csv"),
      "-q",
    ]);
    expect(de.code, de.stderr).toBe(0);
    expect(readFileSync(join(dir, "raw.csv"), "utf8")).toMatch(/^gene,.*\nrawgene/);
    const lay = await cli([
      "de",
      path,
      "--condition",
      "group",
      "--reference",
      "A",
      "--method",
      "mom",
      "--layer",
      "counts",
      "--out",
      join(dir, "layer.csv"),
      "-q",
    ]);
    expect(lay.code, lay.stderr).toBe(0);
    expect(readFileSync(join(dir, "layer.csv"), "utf8")).toMatch(/^gene,.*\ngene\d/);
    const bad = await cli(["fit", PBMC, "--raw", "--out", join(dir, "o2")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--raw applies to \.h5ad files/);

    const plain = join(dir, "plain.h5ad");
    await writeWithoutX(plain, false);
    const r2 = await cli(["fit", plain, "--out", join(dir, "o3")]);
    expect(r2.stderr).toMatch(/it has no X matrix; use --layer NAME \(layers: counts\)\n/);
  }, 180_000);
});

describe("damaged files", () => {
  it("a truncated .h5ad is one line naming the file and 'truncated or corrupt'", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-trunc-"));
    const path = join(dir, "cut.h5ad");
    writeFileSync(path, readFileSync(PBMC_H5AD).subarray(0, 700_000));
    const r = await cli(["fit", path, "--out", join(dir, "o")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `scribe fit: error: cannot read ${path}: truncated or corrupt HDF5 file (truncated file: eof = 700000, sblock->base_addr = 0, stored_eof = 800496)\n`,
    );
  });

  const realH5ad = readFileSync(PBMC_H5AD);

  /** Read `bytes` as an .h5ad: either a checked AnnData or an Error of one line naming the file. */
  async function readOrClearError(path: string, bytes: Uint8Array): Promise<"read" | "error"> {
    writeFileSync(path, bytes);
    try {
      const a = await readH5ad(path);
      expect(a.X.shape.length).toBe(2);
      return "read";
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      const msg = (err as Error).message;
      expect(msg).toContain(path);
      expect(msg).not.toMatch(/\n|HDF5-DIAG|#00\d:/);
      return "error";
    }
  }

  it("fuzz: truncations and bit flips of a real .h5ad end in a clear error or a checked read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-fuzz-"));
    const path = join(dir, "f.h5ad");
    const seen = { read: 0, error: 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: realH5ad.length - 1 }), async (cut) => {
        seen[await readOrClearError(path, realH5ad.subarray(0, cut))]++;
      }),
      { seed: 21, numRuns: 25 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: realH5ad.length - 1 }), fc.integer({ min: 0, max: 7 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.boolean(),
        async (flips, inHeader) => {
          const bytes = Buffer.from(realH5ad);
          // half the cases aim at the first 8 KiB, where the superblock and root objects live
          for (const [pos, bit] of flips) bytes[inHeader ? pos % 8192 : pos]! ^= 1 << bit;
          seen[await readOrClearError(path, bytes)]++;
        },
      ),
      { seed: 2121, numRuns: 60 },
    );
    expect(seen.error).toBeGreaterThan(20);
    // the library still reads a good file afterwards (an abort would have been recovered)
    expect((await readH5ad(PBMC_H5AD)).X.shape).toEqual([283, 914]);
  }, 120_000);

  it("fuzz: wrong dtypes in an .h5ad (strings for X, float indptr, 3-D X) are clear errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-dtype-"));
    const lib = await h5();
    const variants: Record<string, (f: InstanceType<typeof lib.File>) => void> = {
      stringX: (f) => f.create_dataset({ name: "X", data: names("x", C * G), shape: [C, G], dtype: "S" }),
      x3d: (f) => f.create_dataset({ name: "X", data: new Float32Array(C * G), shape: [C, G, 1] }),
      floatIndptr: (f) => {
        const g = f.create_group("X");
        g.create_attribute("encoding-type", "csr_matrix");
        g.create_attribute("encoding-version", "0.1.0");
        g.create_attribute("shape", BigInt64Array.from([BigInt(C), BigInt(G)]));
        g.create_dataset({ name: "data", data: new Float32Array(1) });
        g.create_dataset({ name: "indices", data: new Int32Array(1) });
        g.create_dataset({
          name: "indptr",
          data: Float64Array.from({ length: C + 1 }, (_, i) => (i ? 1.5 : 0)),
        });
      },
      shortIndptr: (f) =>
        writeMatrix(
          f,
          "X",
          {
            format: "csr",
            data: new Float32Array(0),
            indices: new Int32Array(0),
            indptr: new Int32Array(3),
            shape: [C, G],
          },
          {},
        ),
    };
    for (const [name, writeX] of Object.entries(variants)) {
      const path = join(dir, `${name}.h5ad`);
      const f = new lib.File(path, "w");
      f.create_attribute("encoding-type", "anndata");
      f.create_attribute("encoding-version", "0.1.0");
      writeFrame(f, "obs", { index: names("cell", C), columns: {} }, {});
      writeFrame(f, "var", { index: names("gene", G), columns: {} }, {});
      writeX(f);
      f.close();
      const r = await cli(["fit", path, "--out", join(dir, `o-${name}`)]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(new RegExp(`^scribe fit: error: cannot read ${path}: .+\\n$`));
    }
  }, 180_000);

  it("fuzz: truncated and bit-flipped 10x matrix.mtx files end in a clear error or a checked read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scribe-fuzz10x-"));
    const tenx = join(dir, "tenx");
    mkdirSync(tenx);
    for (const f of ["barcodes.tsv", "genes.tsv"]) copyFileSync(join(PBMC, f), join(tenx, f));
    const mtx = readFileSync(join(PBMC, "matrix.mtx"));
    expect(read10x(PBMC).X.shape).toEqual([283, 914]);
    await fc.assert(
      fc.property(
        fc.integer({ min: 0, max: mtx.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        (pos, bit, truncate) => {
          const bytes = Buffer.from(mtx);
          if (!truncate) bytes[pos]! ^= 1 << bit;
          writeFileSync(join(tenx, "matrix.mtx"), truncate ? bytes.subarray(0, pos) : bytes);
          try {
            const a = read10x(tenx);
            expect(a.X.shape).toEqual([283, 914]);
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
            expect((err as Error).message).toMatch(/matrix\.mtx|MatrixMarket|line \d+/);
            expect((err as Error).message).not.toMatch(/\n/);
          }
        },
      ),
      { seed: 1021, numRuns: 40 },
    );
  }, 180_000);
});

describe("float16 X (small things)", () => {
  it("is read and widened to float32 (fixture written by h5py, test/fixtures/safety/make-float16-h5ad.py)", async () => {
    const path = fileURLToPath(new URL("../fixtures/safety/float16-x.h5ad", import.meta.url));
    const a = await readH5ad(path);
    expect(a.X.shape).toEqual([3, 4]);
    expect(a.X.data).toBeInstanceOf(Float32Array);
    // every float16 is exact in float32: the values numpy stored, including 0.5 and the float16 maximum 65504
    expect(Array.from(a.X.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 2048, 0.5, 65504, 7, 1]);
  });
});
