// read10x / write10x on synthetic folders: gz, features.tsv with types, obs.tsv join, errors.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { categorical, createAnnData, toDense } from "@scribe/models/io/index.js";
import { read10x, write10x } from "@scribe/models/io/node.js";
import { makeUniqueNames } from "@scribe/models/io/tenx.js";
import { afterAll, describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "scribe-io-10x-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MTX = "%%MatrixMarket matrix coordinate integer general\n3 2 3\n1 1 4\n3 1 1\n2 2 9\n"; // genes × cells

function folder(name: string, files: Record<string, string>, gz = false): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const [f, body] of Object.entries(files)) {
    if (gz) writeFileSync(join(d, `${f}.gz`), gzipSync(body));
    else writeFileSync(join(d, f), body);
  }
  return d;
}

describe("read10x", () => {
  it("reads a v3 folder (gzipped, features.tsv with types) as CSR cells × genes", () => {
    const d = folder(
      "v3",
      {
        "matrix.mtx": MTX,
        "features.tsv": "E1\tA\tGene Expression\nE2\tB\tGene Expression\nE3\tA\tGene Expression\n",
        "barcodes.tsv": "AAA-1\nCCC-1\n",
      },
      true,
    );
    const a = read10x(d);
    expect(a.X.format).toBe("csr");
    expect(a.X.shape).toEqual([2, 3]);
    expect(Array.from(toDense(a.X).data)).toEqual([4, 0, 1, 0, 9, 0]);
    expect(a.obs.index).toEqual(["AAA-1", "CCC-1"]);
    expect(a.var.index).toEqual(["A", "B", "A-1"]);
    expect(a.var.columns.gene_ids).toEqual(["E1", "E2", "E3"]);
    expect(a.var.columns.feature_types).toEqual(["Gene Expression", "Gene Expression", "Gene Expression"]);
    expect(read10x(d, { varNames: "id" }).var.index).toEqual(["E1", "E2", "E3"]);
  });

  it("joins obs.tsv on barcode (any order, typed columns, missing cells)", () => {
    const d = folder("obs", {
      "matrix.mtx": MTX,
      "genes.tsv": "E1\tA\nE2\tB\nE3\tC\n",
      "barcodes.tsv": "AAA-1\nCCC-1\n",
      "obs.tsv": "barcode\tn\tlabel\tok\nCCC-1\t9\tT cell\ttrue\nGGG-1\t1\tx\tfalse\n",
    });
    const a = read10x(d);
    expect(a.obs.columns.n).toEqual([Number.NaN, 9]);
    expect(a.obs.columns.label).toEqual(["", "T cell"]);
    expect(read10x(d, { readObs: false }).obs.columns).toEqual({});
  });

  it("parse errors name the file and the line", () => {
    const base = {
      "matrix.mtx": MTX,
      "genes.tsv": "E1\tA\nE2\tB\nE3\tC\n",
      "barcodes.tsv": "AAA-1\nCCC-1\n",
    };
    const d1 = folder("bad-mtx", { ...base, "matrix.mtx": MTX.replace("2 2 9", "2 2 nine") });
    expect(() => read10x(d1)).toThrow(/bad-mtx\/matrix\.mtx:5: bad value "nine"/);
    const d2 = folder("bad-genes", { ...base, "genes.tsv": "E1\tA\nE2\tB\tx\ty\nE3\tC\n" });
    expect(() => read10x(d2)).toThrow(/bad-genes\/genes\.tsv:2: expected 'id<TAB>symbol/);
    const d3 = folder("bad-count", { ...base, "barcodes.tsv": "AAA-1\n" });
    expect(() => read10x(d3)).toThrow(/barcodes\.tsv: has 1 barcodes but .*matrix\.mtx has 2 columns/);
    const d4 = folder("bad-obs", { ...base, "obs.tsv": "barcode\tn\nAAA-1\t1\nCCC-1\n" });
    expect(() => read10x(d4)).toThrow(/bad-obs\/obs\.tsv:3: expected 2 tab-separated fields/);
    const d5 = folder("missing", { "genes.tsv": "E1\tA\n" });
    expect(() => read10x(d5)).toThrow(/lacks matrix\.mtx\[\.gz\], barcodes\.tsv\[\.gz\]/);
  });

  it("write10x then read10x round-trips X, names and obs", () => {
    const a = createAnnData({
      X: { format: "dense", data: Float32Array.from([1, 0, 2, 0, 0, 3]), shape: [2, 3] },
      obs: {
        index: ["c1", "c2"],
        columns: { n: [3, 3], kind: categorical(["u", "v"]), flag: [true, false] },
      },
      var: { index: ["g1", "g2", "g3"], columns: { gene_ids: ["E1", "E2", "E3"] } },
    });
    const d = join(root, "written");
    write10x(d, a);
    expect(readFileSync(join(d, "matrix.mtx"), "utf8").split("\n")[1]).toBe("3 2 3");
    const b = read10x(d);
    expect(Array.from(toDense(b.X).data)).toEqual([1, 0, 2, 0, 0, 3]);
    expect(b.obs.index).toEqual(["c1", "c2"]);
    expect(b.var.index).toEqual(["g1", "g2", "g3"]);
    expect(b.obs.columns).toEqual({ n: [3, 3], kind: ["u", "v"], flag: [true, false] });
  });

  it("makeUniqueNames suffixes repeats", () => {
    expect(makeUniqueNames(["a", "b", "a", "a", "a-1"])).toEqual(["a", "b", "a-2", "a-3", "a-1"]);
  });
});
