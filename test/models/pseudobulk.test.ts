// Issue 20 item 2: pseudobulk sums streamed from disk equal a direct in-memory group-by sum
// (computed here from the dense matrix, exact in float64), for dense, CSR, CSC and int64 CSR
// storage; `scribe pseudobulk` writes the same table.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@scribe/models/cli/main.js";
import { type AnnData, decodeCategorical, isCategorical } from "@scribe/models/io/index.js";
import { openAnnData, pseudobulk, readH5ad } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { countsAnnData, writeVariants } from "./backed-fixtures.js";

const C = 251;
const G = 23;
const ad = countsAnnData(C, G, 11);
const dir = mkdtempSync(join(tmpdir(), "scribe-pb-"));
const files = writeVariants(dir, ad);

function labelsOf(a: AnnData, name: string): string[] {
  const col = a.obs.columns[name]!;
  return isCategorical(col) ? (decodeCategorical(col) as string[]) : (col as string[]).map(String);
}

/** The reference: a map from group key (values joined by '_') to [n_cells, sums per gene]. */
function groupBy(by: string[]): Map<string, { n: number; sums: number[] }> {
  const labs = by.map((b) => labelsOf(ad, b));
  const out = new Map<string, { n: number; sums: number[] }>();
  for (let c = 0; c < C; c++) {
    const key = labs.map((l) => l[c]).join("_");
    const e = out.get(key) ?? { n: 0, sums: new Array(G).fill(0) };
    e.n++;
    for (let g = 0; g < G; g++) e.sums[g] += ad.X.data[c * G + g]!;
    out.set(key, e);
  }
  return out;
}

function expectMatches(pb: AnnData, by: string[]): void {
  const ref = groupBy(by);
  expect(pb.X.shape).toEqual([ref.size, G]);
  expect(new Set(pb.obs.index)).toEqual(new Set(ref.keys()));
  const n = pb.obs.columns.n_cells as number[];
  pb.obs.index.forEach((key, r) => {
    const e = ref.get(key)!;
    expect(n[r]).toBe(e.n);
    expect(Array.from(pb.X.data.subarray(r * G, (r + 1) * G))).toEqual(e.sums);
    // grouping columns keep each group's values
    expect(by.map((b) => labelsOf(pb, b)[r]).join("_")).toBe(key);
  });
  expect(pb.var.index).toEqual(ad.var.index);
}

describe("pseudobulk", () => {
  for (const kind of ["dense", "csr", "csc", "csrInt64"] as const) {
    it(`${kind}: by sample and by sample × cell_type equal the in-memory group-by`, async () => {
      const b = await openAnnData((await files)[kind], { backed: true });
      try {
        expectMatches(pseudobulk(b, { by: ["sample"], blockSize: 40 }), ["sample"]);
        expectMatches(pseudobulk(b, { by: ["sample", "cell_type"], blockSize: 7 }), ["sample", "cell_type"]);
        expect(() => pseudobulk(b, { by: ["donor"] })).toThrow(
          /no obs column 'donor'.*columns: sample, cell_type/,
        );
      } finally {
        b.close();
      }
    });
  }

  it("scribe pseudobulk writes the table; errors are usage errors", async () => {
    const out = join(dir, "pb.h5ad");
    const err: string[] = [];
    const io = { stdout: () => {}, stderr: (t: string) => err.push(t), stderrIsTTY: false };
    const code = await runCli(
      ["pseudobulk", (await files).csr, "--by", "sample,cell_type", "--out", out],
      io,
    );
    expect(code, err.join("")).toBe(0);
    expect(err.join("")).toMatch(/251 cells -> \d+ groups × 23 genes/);
    expectMatches(await readH5ad(out), ["sample", "cell_type"]);
    const bad = await runCli(["pseudobulk", (await files).csr, "--out", out], io);
    expect(bad).toBe(2);
    expect(err.join("")).toMatch(/missing required option --by/);
  }, 180_000);
});
