// writeH5ad's read-back check (io/h5ad-verify.ts) and its boolean-attribute patch at the
// object headers: the check passes on the file just written and names each part that differs
// from another AnnData; every categorical's `ordered` attribute is an HDF5 enum with the value
// that was written, for one and for many categoricals (continuation blocks in the headers).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withH5 } from "@scribe/models/io/h5-runtime.js";
import { checkWritten } from "@scribe/models/io/h5ad-verify.js";
import { type AnnData, categorical, createAnnData } from "@scribe/models/io/index.js";
import { readH5ad, writeH5ad } from "@scribe/models/io/node.js";
import type { Group } from "h5wasm";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "scribe-io-verify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function small(format: "dense" | "csr"): AnnData {
  const dense = Float32Array.from([1, 0, 2, 0, 3, 0]);
  return createAnnData({
    X:
      format === "dense"
        ? { format, data: dense, shape: [2, 3] }
        : {
            format,
            data: Float32Array.from([1, 2, 3]),
            indices: Int32Array.from([0, 2, 1]),
            indptr: Int32Array.from([0, 2, 3]),
            shape: [2, 3],
          },
    obs: { index: ["c1", "c2"], columns: { kind: categorical(["a", "b"]), depth: [3, 4] } },
    var: { index: ["g1", "g2", "g3"], columns: {} },
    layers: { counts: { format: "dense", data: dense, shape: [2, 3] } },
    uns: { note: "x" },
  });
}

/** checkWritten of the file at `path` against `adata`: the error message, or "" when it passes. */
function check(path: string, adata: AnnData): Promise<string> {
  return withH5((lib) => {
    const f = new lib.File(path, "r");
    try {
      checkWritten(f, adata);
      return "";
    } catch (err) {
      return (err as Error).message;
    } finally {
      f.close();
    }
  });
}

describe("the read-back check of writeH5ad", () => {
  for (const format of ["dense", "csr"] as const) {
    it(`passes on the file written and names what differs (${format} X)`, async () => {
      const a = small(format);
      const path = join(dir, `${format}.h5ad`);
      await writeH5ad(path, a);
      expect(await check(path, a)).toBe("");
      // one value of X changed: X differs (the values are compared, not only the shape)
      const x = a.X.data.slice();
      x[x.length - 1] = 9;
      expect(await check(path, { ...a, X: { ...a.X, data: x } })).toMatch(/differs .*\(X\)$/);
      // a sparse index moved within the row (same values, other column)
      if (a.X.format === "csr") {
        const indices = Int32Array.from([0, 1, 1]);
        expect(await check(path, { ...a, X: { ...a.X, indices } })).toMatch(/\(X\)$/);
      }
      // X of the other storage with the same values: not what the file holds
      const other: AnnData = small(format === "dense" ? "csr" : "dense");
      expect(await check(path, other)).toMatch(/\(X\)$/);
      // a renamed cell, a missing column, an extra layer and uns key
      const renamed = { ...a, obs: { ...a.obs, index: ["c1", "c3"] } };
      expect(await check(path, renamed)).toMatch(/\(obs\)$/);
      const fewer = { ...a, var: { ...a.var, columns: { extra: [1, 2, 3] } } };
      expect(await check(path, fewer)).toMatch(/\(var\)$/);
      const both = { ...a, layers: {}, uns: { note: "x", more: 1 } };
      expect(await check(path, both)).toMatch(/\(layers, uns\)$/);
    });
  }
});

describe("boolean `ordered` attributes patched at the object headers", () => {
  for (const n of [1, 40]) {
    it(`${n} categorical column(s): each 'ordered' is an HDF5 enum holding the written flag`, async () => {
      const columns: Record<string, ReturnType<typeof categorical>> = {};
      for (let k = 0; k < n; k++)
        columns[`c${k}`] = { ...categorical(["u", "v", "u"]), ordered: k % 3 === 0 };
      const a = createAnnData({
        X: { format: "dense", data: new Float32Array(6), shape: [3, 2] },
        obs: { index: ["x", "y", "z"], columns },
      });
      const path = join(dir, `cats${n}.h5ad`);
      await writeH5ad(path, a);
      const stored = await withH5((lib) => {
        const f = new lib.File(path, "r");
        try {
          return Object.keys(columns).map((c) => {
            const attr = (f.get(`obs/${c}`) as Group).attrs.ordered!;
            // HDF5 type class 8: enum (what h5py reads as a boolean)
            return { type: (attr.metadata as { type: number }).type, value: Number(attr.value) };
          });
        } finally {
          f.close();
        }
      });
      expect(stored).toEqual(Object.keys(columns).map((_, k) => ({ type: 8, value: k % 3 === 0 ? 1 : 0 })));
      const back = await readH5ad(path);
      for (let k = 0; k < n; k++) expect(back.obs.columns[`c${k}`]).toMatchObject({ ordered: k % 3 === 0 });
    });
  }
});
