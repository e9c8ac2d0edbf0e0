// MatrixMarket coordinate reader/writer (browser-safe).

import { type DenseMatrix, formatMtx, parseMtx, readMtx, toDense } from "@scribe/models/io/index.js";
import { describe, expect, it } from "vitest";

const text = `%%MatrixMarket matrix coordinate integer general
% a comment
3 2 4
1 1 5
3 1 2
2 2 7
1 2 1
`;

describe("MatrixMarket", () => {
  it("parses coordinates (1-based → 0-based) from strings and bytes", () => {
    for (const input of [text, new TextEncoder().encode(text)]) {
      const c = parseMtx(input);
      expect([c.nrows, c.ncols, c.field]).toEqual([3, 2, "integer"]);
      expect(Array.from(c.row)).toEqual([0, 2, 1, 0]);
      expect(Array.from(c.col)).toEqual([0, 0, 1, 1]);
      expect(Array.from(c.values)).toEqual([5, 2, 7, 1]);
    }
  });

  it("builds CSR/CSC with sorted indices, optionally transposed", () => {
    const csr = readMtx(text);
    expect(csr.format).toBe("csr");
    expect(Array.from(csr.indptr)).toEqual([0, 2, 3, 4]);
    expect(Array.from(csr.indices)).toEqual([0, 1, 1, 0]);
    expect(Array.from(toDense(csr).data)).toEqual([5, 1, 0, 7, 2, 0]);
    const t = readMtx(text, { transpose: true, format: "csc", dtype: "float64" });
    expect(t.shape).toEqual([2, 3]);
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(Array.from(toDense(t).data)).toEqual([5, 0, 2, 1, 7, 0]);
  });

  it("formats and re-reads every matrix format (integer and real)", () => {
    const dense: DenseMatrix = {
      format: "dense",
      data: Float64Array.from([0, 1.5, 2, 0, 0, 3]),
      shape: [2, 3],
    };
    const s = formatMtx(dense);
    expect(s.split("\n")[0]).toBe("%%MatrixMarket matrix coordinate real general");
    expect(Array.from(toDense(readMtx(s)).data)).toEqual(Array.from(dense.data));
    const csr = readMtx(text);
    for (const m of [csr, readMtx(text, { format: "csc" }), toDense(csr)]) {
      const out = formatMtx(m, { transpose: true, comments: [" written by a test"] });
      expect(out.split("\n")[0]).toBe("%%MatrixMarket matrix coordinate integer general");
      const back = readMtx(out, { transpose: true });
      expect(Array.from(toDense(back).data)).toEqual(Array.from(toDense(csr).data));
    }
    expect(() => formatMtx(dense, { field: "integer" })).toThrow(/not an integer/);
  });

  it("reads pattern matrices as ones", () => {
    const p = readMtx("%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 2\n2 1\n");
    expect(Array.from(toDense(p).data)).toEqual([0, 1, 1, 0]);
  });

  it("errors name the source and the line number", () => {
    const src = { source: "genes/matrix.mtx" };
    expect(() => parseMtx("hello\n", src)).toThrow(
      /^genes\/matrix\.mtx:1: expected a '%%MatrixMarket' header/,
    );
    expect(() => parseMtx("%%MatrixMarket matrix array real general\n", src)).toThrow(
      /:1: only 'matrix coordinate'/,
    );
    expect(() => parseMtx("%%MatrixMarket matrix coordinate real symmetric\n", src)).toThrow(
      /:1: unsupported symmetry/,
    );
    const bad = text.replace("2 2 7", "2 9 7");
    expect(() => parseMtx(bad, src)).toThrow(/^genes\/matrix\.mtx:6: column index 9 out of range 1\.\.2/);
    expect(() => parseMtx(text.replace("3 1 2", "3 1 2.5"), src)).toThrow(/:5: value 2\.5 is not an integer/);
    expect(() => parseMtx(text.replace("3 1 2", "3 1 x"), src)).toThrow(/:5: bad value "x"/);
    expect(() => parseMtx(text.replace("1 2 1\n", ""), src)).toThrow(/expected 4 entries, found 3/);
    expect(() => parseMtx(`${text}2 1 1\n`, src)).toThrow(/:8: more entries than the 4 declared/);
    expect(() => parseMtx(text.replace("1 1 5", "1 1"), src)).toThrow(/:4: expected 3 fields, got 2/);
  });
});
