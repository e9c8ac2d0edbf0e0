// Issue 20 item 1: openAnnData(path, { backed: true }) reads X in blocks of cells and genes
// without loading it whole; every block equals the same rows/columns of the matrix read in
// memory (exact: the stored values are integers).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toDense } from "@scribe/models/io/index.js";
import { openAnnData } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { countsAnnData, writeVariants } from "./backed-fixtures.js";

const C = 203;
const G = 37;
const ad = countsAnnData(C, G);
const full = ad.X.data;
const dir = mkdtempSync(join(tmpdir(), "scribe-backed-"));
const files = writeVariants(dir, ad);

function rows(a: number, b: number): number[] {
  return Array.from(full.subarray(a * G, b * G));
}
function cols(a: number, b: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < C; c++) for (let j = a; j < b; j++) out.push(full[c * G + j]!);
  return out;
}

describe("openAnnData backed", () => {
  for (const kind of ["dense", "csr", "csc", "csrInt64"] as const) {
    it(`${kind}: cell and gene blocks equal the in-memory matrix`, async () => {
      const b = await openAnnData((await files)[kind], { backed: true, scanBytes: 256 });
      try {
        expect(b.shape).toEqual([C, G]);
        expect(b.format).toBe(kind === "csrInt64" ? "csr" : kind);
        expect(b.obs.index).toEqual(ad.obs.index);
        expect(b.var.index).toEqual(ad.var.index);
        let seen = 0;
        for (const blk of b.cellBlocks(64)) {
          expect(blk.start).toBe(seen);
          expect(blk.X.shape).toEqual([blk.end - blk.start, G]);
          expect(Array.from(toDense(blk.X).data)).toEqual(rows(blk.start, blk.end));
          seen = blk.end;
        }
        expect(seen).toBe(C);
        seen = 0;
        for (const blk of b.geneBlocks(10)) {
          expect(blk.X.shape).toEqual([C, blk.end - blk.start]);
          expect(Array.from(toDense(blk.X).data)).toEqual(cols(blk.start, blk.end));
          seen = blk.end;
        }
        expect(seen).toBe(G);
        expect(toDense(b.readRows(5, 5)).shape).toEqual([0, G]);
        expect(() => b.readRows(0, C + 1)).toThrow(/cells \[0, 204\) is outside \[0, 203\)/);
        expect(() => b.readCols(-1, 2)).toThrow(/genes/);
        expect(() => b.cellBlocks(0).next()).toThrow(/positive integer/);
      } finally {
        b.close();
      }
      expect(() => b.readRows(0, 1)).toThrow(/is closed/);
    });
  }

  it("refuses what it cannot do, naming the file", async () => {
    await expect(openAnnData(join(dir, "nope.h5ad"), { backed: true })).rejects.toThrow(/no such file/);
    await expect(
      openAnnData((await files).csr, { backed: false } as unknown as { backed: true }),
    ).rejects.toThrow(/only \{ backed: true \}/);
  });
});
