// validateCounts: bad values name cell, gene and value; empty cells/genes error or get dropped.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createAnnData, type Matrix, toDense, validateCounts } from "@scribe/models/io/index.js";
import { readH5ad } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const datasetDir = (name: string): string | undefined =>
  [
    fileURLToPath(new URL(`../../../shared/data/${name}`, import.meta.url)),
    fileURLToPath(new URL(`../fixtures/data/${name}`, import.meta.url)),
  ].find((d) => existsSync(`${d}/${name}.h5ad`));

const cells = ["AAAC-1", "GGGT-1", "TTTA-1"];
const genes = ["CD3E", "MS4A1", "LYZ", "NKG7"];
function adata(values: number[]) {
  return createAnnData({
    X: { format: "dense", data: Float64Array.from(values), shape: [3, 4] },
    obs: cells,
    var: genes,
  });
}

describe("validateCounts", () => {
  it("accepts valid counts and returns the input unchanged", () => {
    const a = adata([1, 0, 2, 3, 0, 4, 0, 1, 5, 0, 1, 0]);
    const r = validateCounts(a);
    expect(r.data).toBe(a);
    expect(r.summary).toBe("nothing dropped");
  });

  it("negative / non-integer / non-finite values: names first cell, gene, value and the count", () => {
    const a = adata([1, 0, 2, 3, 0, -4, 0, 1.5, 5, Number.NaN, 1, -1]);
    expect(() => validateCounts(a)).toThrow(
      'validateCounts: 4 entries are not valid counts (2 negative, 1 non-integer, 1 non-finite); first: cell "GGGT-1" (row 1), gene "MS4A1" (column 1), value -4.',
    );
    const frac = adata([1, 0, 2, 3, 0, 4, 0, 1.5, 5, 1, 1, 1]);
    expect(() => validateCounts(frac)).toThrow(
      /^validateCounts: 1 entry is not a valid count \(1 non-integer\)/,
    );
    expect(() => validateCounts(frac)).toThrow(
      /cell "GGGT-1" \(row 1\), gene "NKG7" \(column 3\), value 1\.5/,
    );
    expect(() => validateCounts(frac, { requireInteger: false })).not.toThrow();
    const inf = adata([1, 0, 2, 3, 0, 4, 0, 1, 5, 1, Number.POSITIVE_INFINITY, 1]);
    expect(() => validateCounts(inf)).toThrow(
      /1 non-finite\); first: cell "TTTA-1" \(row 2\), gene "LYZ" \(column 2\), value Infinity/,
    );
  });

  it("works on bare sparse matrices with optional names", () => {
    const m: Matrix = {
      format: "csc",
      data: Float32Array.from([1, -2]),
      indices: Int32Array.from([0, 1]),
      indptr: Int32Array.from([0, 1, 2]),
      shape: [2, 2],
    };
    expect(() => validateCounts(m)).toThrow(/cell #1 \(row 1\), gene #1 \(column 1\), value -2/);
    expect(() => validateCounts(m, { obsNames: ["a", "b"], varNames: ["x", "y"] })).toThrow(
      /cell "b" .* gene "y"/,
    );
  });

  it("empty cells and genes: error says how many and suggests { filterEmpty: true }", () => {
    const a = adata([1, 0, 2, 0, 0, 0, 0, 0, 5, 0, 1, 0]);
    expect(() => validateCounts(a)).toThrow(
      'validateCounts: 1 cell has zero total counts ("GGGT-1"); 2 genes are zero in every cell ("MS4A1", "NKG7"). Pass { filterEmpty: true } to drop them, or { allowEmpty: true } to keep them.',
    );
    expect(validateCounts(a, { allowEmpty: true }).data).toBe(a);
    const r = validateCounts(a, { filterEmpty: true });
    expect(r.droppedCells).toEqual([1]);
    expect(r.droppedCellNames).toEqual(["GGGT-1"]);
    expect(r.droppedGenes).toEqual([1, 3]);
    expect(r.droppedGeneNames).toEqual(["MS4A1", "NKG7"]);
    expect(r.summary).toBe("dropped 1 empty cell and 2 empty genes");
    expect(r.data.obs.index).toEqual(["AAAC-1", "TTTA-1"]);
    expect(r.data.var.index).toEqual(["CD3E", "LYZ"]);
    expect(Array.from(toDense(r.data.X).data)).toEqual([1, 2, 5, 1]);
  });

  const visium = datasetDir("visium_mouse_brain_100genes");
  (visium ? it : it.skip)("real data: visium has 6 empty spots and 26 empty genes", async () => {
    const a = await readH5ad(`${visium}/visium_mouse_brain_100genes.h5ad`);
    expect(() => validateCounts(a)).toThrow(
      /6 cells have zero total counts .*26 genes are zero in every cell .*\{ filterEmpty: true \}/,
    );
    const r = validateCounts(a, { filterEmpty: true });
    expect(r.data.X.shape).toEqual([2689, 74]);
    expect(r.summary).toBe("dropped 6 empty cells and 26 empty genes");
    expect(() => validateCounts(r.data)).not.toThrow();
  });
});
