// The in-memory AnnData container: construction checks, subsetting, dense conversion, columns.

import {
  categorical,
  colSums,
  createAnnData,
  decodeCategorical,
  getNumericColumn,
  getStringColumn,
  obsColumn,
  rowSums,
  type SparseMatrix,
  selectCols,
  subsetCells,
  subsetGenes,
  toCsc,
  toCsr,
  toDense,
  toDenseCounts,
  transposeSparse,
  varColumn,
} from "@scribe/models/io/index.js";
import { describe, expect, it } from "vitest";

// 3 cells × 4 genes
const dense = [1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 0, 6];
const csr: SparseMatrix = {
  format: "csr",
  data: Float32Array.from([1, 2, 3, 4, 5, 6]),
  indices: Int32Array.from([0, 2, 1, 3, 0, 3]),
  indptr: Int32Array.from([0, 2, 4, 6]),
  shape: [3, 4],
};
const make = () =>
  createAnnData({
    X: csr,
    obs: {
      index: ["c0", "c1", "c2"],
      columns: { n: [3, 7, 11], type: categorical(["T", "B", "T"]), ok: [true, false, true] },
    },
    var: { index: ["g0", "g1", "g2", "g3"], columns: { id: ["E0", "E1", "E2", "E3"] } },
    layers: { raw: toCsc(csr) },
    obsm: { emb: { format: "dense", data: Float64Array.from([0, 1, 2, 3, 4, 5]), shape: [3, 2] } },
    varm: { load: { format: "dense", data: Float32Array.from([1, 2, 3, 4]), shape: [4, 1] } },
  });

describe("matrices", () => {
  it("converts between dense, CSR and CSC", () => {
    expect(Array.from(toDense(csr).data)).toEqual(dense);
    expect(Array.from(toDense(toCsc(csr)).data)).toEqual(dense);
    expect(Array.from(toDense(toCsr(toDense(csr))).data)).toEqual(dense);
    expect(Array.from(toDense(toCsc(toDense(csr))).data)).toEqual(dense);
    expect(toDense(transposeSparse(csr)).shape).toEqual([4, 3]);
    expect(Array.from(rowSums(csr))).toEqual([3, 7, 11]);
    expect(Array.from(colSums(toCsc(csr)))).toEqual([6, 3, 2, 10]);
    expect(Array.from(toDense(selectCols(csr, [3, 0])).data)).toEqual([0, 1, 4, 0, 6, 5]);
  });
});

describe("AnnData", () => {
  it("checks shapes on construction", () => {
    expect(() => createAnnData({ X: csr, obs: ["a"] })).toThrow(/obs has 1 rows but X has 3 cells/);
    expect(() => createAnnData({ X: csr, layers: { bad: toDense(selectCols(csr, [0])) } })).toThrow(
      /layers\["bad"\] has shape \[3,1\]/,
    );
    expect(() => createAnnData({ X: { ...csr, indptr: Int32Array.from([0, 2, 4]) } })).toThrow(
      /indptr has length 3, expected 4/,
    );
    expect(() => createAnnData({ X: csr, obs: { index: ["a", "b", "c"], columns: { x: [1, 2] } } })).toThrow(
      /obs column "x" has 2 entries, index has 3/,
    );
    expect(createAnnData({ X: csr }).var.index).toEqual(["0", "1", "2", "3"]);
  });

  it("toDenseCounts gives float32 cells × genes (X or a layer)", () => {
    const a = make();
    const d = toDenseCounts(a);
    expect(d.data).toBeInstanceOf(Float32Array);
    expect(Array.from(d.data)).toEqual(dense);
    expect(Array.from(toDenseCounts(a, { layer: "raw", dtype: "float64" }).data)).toEqual(dense);
    expect(() => toDenseCounts(a, { layer: "nope" })).toThrow(/no layer "nope"; available: raw/);
  });

  it("subsetCells by names, indices or mask keeps everything aligned", () => {
    const a = make();
    for (const sel of [
      ["c2", "c0"],
      [2, 0],
    ] as const) {
      const s = subsetCells(a, sel);
      expect(s.obs.index).toEqual(["c2", "c0"]);
      expect(Array.from(toDense(s.X).data)).toEqual([5, 0, 0, 6, 1, 0, 2, 0]);
      expect(Array.from(toDense(s.layers.raw!).data)).toEqual([5, 0, 0, 6, 1, 0, 2, 0]);
      expect(s.obs.columns.n).toEqual([11, 3]);
      expect(decodeCategorical(s.obs.columns.type as never)).toEqual(["T", "T"]);
      expect(s.obsm?.emb?.shape).toEqual([2, 2]);
      expect(s.var).toBe(a.var);
    }
    expect(subsetCells(a, [false, true, false]).obs.index).toEqual(["c1"]);
    expect(() => subsetCells(a, ["zz"])).toThrow(/cell "zz" not found/);
    expect(() => subsetCells(a, [true])).toThrow(/mask has 1 entries, expected 3/);
  });

  it("subsetGenes keeps var, varm and layers aligned", () => {
    const s = subsetGenes(make(), ["g3", "g1"]);
    expect(s.var.index).toEqual(["g3", "g1"]);
    expect(s.var.columns.id).toEqual(["E3", "E1"]);
    expect(Array.from(toDense(s.X).data)).toEqual([0, 0, 4, 3, 6, 0]);
    expect(s.X.format).toBe("csr");
    expect(s.layers.raw?.format).toBe("csc");
    expect(Array.from(toDense(s.layers.raw!).data)).toEqual([0, 0, 4, 3, 6, 0]);
    expect(s.varm?.load?.format === "dense" && Array.from(s.varm.load.data)).toEqual([4, 2]);
  });

  it("column access by name with a clear error", () => {
    const a = make();
    expect(obsColumn(a, "n")).toEqual([3, 7, 11]);
    expect(varColumn(a, "id")).toEqual(["E0", "E1", "E2", "E3"]);
    expect(getStringColumn(a.obs, "type")).toEqual(["T", "B", "T"]);
    expect(getNumericColumn(a.obs, "ok")).toEqual([1, 0, 1]);
    expect(() => obsColumn(a, "cell_type")).toThrow(
      'obs has no column "cell_type"; available: "n", "type", "ok"',
    );
    expect(() => getNumericColumn(a.obs, "type", "obs")).toThrow(/obs column "type" is not numeric/);
  });
});
