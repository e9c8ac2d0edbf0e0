// writeH5ad / readH5ad: round trip of every column and value type, atomic writes, the
// anndata 0.7 layout, and (when Python anndata is installed) interoperability.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boolPlaceholder, findMarkers, patchBoolAttribute } from "@scribe/models/io/h5-boolattr.js";
import {
  type AnnData,
  categorical,
  createAnnData,
  toCsc,
  toDense,
  type UnsValue,
} from "@scribe/models/io/index.js";
import { readH5ad, writeH5ad } from "@scribe/models/io/node.js";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "scribe-io-h5ad-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function synthetic(): AnnData {
  // 4 cells × 3 genes
  const X = {
    format: "csr" as const,
    data: Float32Array.from([1, 2, 3, 4, 5]),
    indices: Int32Array.from([0, 2, 1, 0, 2]),
    indptr: Int32Array.from([0, 2, 3, 3, 5]),
    shape: [4, 3] as [number, number],
  };
  return createAnnData({
    X,
    obs: {
      index: ["c1", "c2", "cé3", "c4"],
      columns: {
        n_counts: [3, 3, 0, 9],
        frac: [0.5, Number.NaN, 1.25, -2],
        label: ["a", "b", "", "ünï"],
        flag: [true, false, false, true],
        group: categorical(["x", "y", null, "x"]),
        stage: { ...categorical(["lo", "hi", "hi", "lo"], ["lo", "hi"]), ordered: true },
      },
    },
    var: {
      index: ["g1", "g2", "g3"],
      columns: { gene_ids: ["E1", "E2", "E3"], highly_variable: [true, false, true] },
    },
    layers: { counts: toCsc(X), dense: toDense(X, "float64") },
    obsm: { X_pca: { format: "dense", data: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), shape: [4, 2] } },
    varm: { loadings: { format: "dense", data: Float32Array.from([1, 2, 3]), shape: [3, 1] } },
    uns: {
      title: "a string",
      count: 7,
      ratio: 0.25,
      ok: true,
      names: ["p", "q"],
      flags: [true, false],
      ints: Int32Array.from([1, -2, 3]),
      floats: Float32Array.from([0.5, 1.5]),
      matrix: { kind: "ndarray", data: Float64Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] },
      nested: { deeper: { x: 1.5, s: "t" }, empty: {} },
    },
  });
}

describe("h5ad round trip", () => {
  it("write then read back gives equal data for every column type", async () => {
    const a = synthetic();
    const path = join(dir, "synthetic.h5ad");
    await writeH5ad(path, a);
    const b = await readH5ad(path, { strict: true });
    expect(b.X).toEqual(a.X);
    expect(b.layers).toEqual(a.layers);
    expect(b.obsm).toEqual(a.obsm);
    expect(b.varm).toEqual(a.varm);
    expect(b.obs.index).toEqual(a.obs.index);
    expect(Object.keys(b.obs.columns)).toEqual(Object.keys(a.obs.columns));
    expect(b.obs.columns.n_counts).toEqual([3, 3, 0, 9]);
    expect(b.obs.columns.frac).toEqual([0.5, Number.NaN, 1.25, -2]);
    expect(b.obs.columns.label).toEqual(a.obs.columns.label);
    expect(b.obs.columns.flag).toEqual([true, false, false, true]);
    expect(b.obs.columns.group).toEqual({ ...(a.obs.columns.group as object), ordered: false });
    expect(b.obs.columns.stage).toEqual(a.obs.columns.stage);
    expect(b.var).toEqual(a.var);
    const u = b.uns as Record<string, UnsValue>;
    expect(u.title).toBe("a string");
    expect(u.count).toBe(7);
    expect(u.ratio).toBe(0.25);
    expect(u.ok).toBe(true);
    expect(u.names).toEqual(["p", "q"]);
    expect(u.flags).toEqual([true, false]);
    expect(u.ints).toEqual(Int32Array.from([1, -2, 3]));
    expect(u.floats).toEqual(Float32Array.from([0.5, 1.5]));
    expect(u.matrix).toEqual(a.uns.matrix);
    expect(u.nested).toEqual({ deeper: { x: 1.5, s: "t" }, empty: {} });
  });

  it("round-trips a dense X and compressed datasets", async () => {
    const a = createAnnData({
      X: { format: "dense", data: Float64Array.from([0, 1, 2, 3, 4, 5]), shape: [2, 3] },
    });
    const path = join(dir, "dense.h5ad");
    await writeH5ad(path, a, { compression: 6 });
    const b = await readH5ad(path);
    expect(b.X).toEqual(a.X);
    expect(b.obs.index).toEqual(["0", "1"]);
    expect(b.var.index).toEqual(["0", "1", "2"]);
  });

  it("reads the anndata 0.7 layout (categoricals via __categories, h5sparse groups)", async () => {
    const h5 = await import("h5wasm/node");
    await h5.ready;
    const path = join(dir, "old.h5ad");
    const f = new h5.File(path, "w");
    const x = f.create_group("X");
    x.create_attribute("h5sparse_format", "csr");
    x.create_attribute("h5sparse_shape", BigInt64Array.from([2n, 2n]));
    x.create_dataset({ name: "data", data: Float32Array.from([1, 2]) });
    x.create_dataset({ name: "indices", data: Int32Array.from([1, 0]) });
    x.create_dataset({ name: "indptr", data: BigInt64Array.from([0n, 1n, 2n]) });
    for (const [name, idx] of [
      ["obs", ["a", "b"]],
      ["var", ["g", "h"]],
    ] as const) {
      const g = f.create_group(name);
      g.create_attribute("_index", "_index");
      g.create_dataset({ name: "_index", data: [...idx] });
      if (name === "obs") {
        g.create_attribute("column-order", ["kind", "score"]);
        const cats = g.create_group("__categories");
        cats.create_dataset({ name: "kind", data: ["A", "B"] });
        const codes = g.create_dataset({ name: "kind", data: Int8Array.from([1, 0]) });
        codes.create_attribute(
          "categories",
          (f.get("obs/__categories/kind") as InstanceType<typeof h5.Dataset>).create_reference(),
        );
        g.create_dataset({ name: "score", data: Float64Array.from([0.5, 1.5]) });
      }
    }
    f.create_group("uns").create_dataset({ name: "v", data: 3.5 });
    f.close();
    const a = await readH5ad(path);
    expect(a.X.shape).toEqual([2, 2]);
    expect(Array.from(toDense(a.X).data)).toEqual([0, 1, 2, 0]);
    expect(a.obs.columns.kind).toEqual({
      kind: "categorical",
      codes: Int32Array.from([1, 0]),
      categories: ["A", "B"],
      ordered: false,
    });
    expect(a.obs.columns.score).toEqual([0.5, 1.5]);
    expect(a.uns.v).toBe(3.5);
  });

  const lzf = "/usr/lib/python3/dist-packages/anndata/tests/data/archives/v0.7.0/adata.h5ad";
  (existsSync(lzf) ? it : it.skip)(
    "refuses HDF5 filters it cannot decode (lzf) instead of returning garbage",
    async () => {
      await expect(readH5ad(lzf)).rejects.toThrow(
        /\/obs\/_index: compressed with HDF5 filter 'lzf' \(id 32000\)/,
      );
    },
  );

  it("names the file and what is wrong for a non-HDF5 file", async () => {
    const path = join(dir, "not.h5ad");
    writeFileSync(path, "hello");
    await expect(readH5ad(path)).rejects.toThrow(/not\.h5ad/);
    await expect(readH5ad(join(dir, "missing.h5ad"))).rejects.toThrow(/no such file/);
  });
});

describe("boolean attribute patching", () => {
  it("leaves bytes alone when the layout is not a version-1 attribute message", () => {
    const buf = new Uint8Array(200);
    const text = new TextEncoder().encode(boolPlaceholder(true));
    buf.set(text, 120);
    expect(findMarkers(buf)).toEqual([120]);
    const before = buf.slice();
    expect(patchBoolAttribute(buf, 120)).toBe(false);
    expect(buf).toEqual(before);
  });
});

describe("atomic write", () => {
  const bad = (): AnnData => {
    const a = synthetic();
    // a value the encoder cannot represent, reached after X/obs/var were already written
    return { ...a, uns: { ...a.uns, broken: [1, "two"] as unknown as UnsValue } };
  };
  const leftovers = () => readdirSync(dir).filter((n) => n.endsWith(".tmp"));

  it("a failed write leaves no target file and no temp file", async () => {
    const path = join(dir, "never.h5ad");
    await expect(writeH5ad(path, bad())).rejects.toThrow(/cannot encode uns\/broken/);
    expect(existsSync(path)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it("a failed write leaves an existing file untouched", async () => {
    const path = join(dir, "keep.h5ad");
    await writeH5ad(path, synthetic());
    const before = readFileSync(path);
    await expect(writeH5ad(path, bad())).rejects.toThrow(/cannot encode/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect((await readH5ad(path)).X.shape).toEqual([4, 3]);
    expect(leftovers()).toEqual([]);
  });

  it("rejects inconsistent shapes before touching the disk", async () => {
    const a = synthetic();
    const path = join(dir, "inconsistent.h5ad");
    await expect(writeH5ad(path, { ...a, obs: { index: ["only-one"], columns: {} } })).rejects.toThrow(
      /obs has 1 rows/,
    );
    expect(existsSync(path)).toBe(false);
  });
});

/** A Python with anndata importable, or undefined (CI may not have one). */
function pythonWithAnndata(): string | undefined {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(py, ["-c", "import anndata"], { stdio: "ignore" });
      return py;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

const py = pythonWithAnndata();
describe("interoperability with Python anndata", () => {
  (py ? it : it.skip)("Python anndata reads the file we wrote", async () => {
    const path = join(dir, "for-python.h5ad");
    await writeH5ad(path, synthetic());
    const script = `
import json, sys, anndata
a = anndata.read_h5ad(sys.argv[1])
o = a.obs
print(json.dumps({
  "shape": list(a.shape), "format": a.X.format, "sum": float(a.X.sum()),
  "obs_names": list(a.obs_names), "var_names": list(a.var_names),
  "columns": list(o.columns), "group": [None if v != v else v for v in o["group"].astype(object)],
  "group_cats": list(o["group"].cat.categories), "stage_ordered": bool(o["stage"].cat.ordered),
  "label": list(o["label"]), "n_counts": [int(v) for v in o["n_counts"]], "flag": [int(v) for v in o["flag"]],
  "layers": sorted(a.layers.keys()), "counts_sum": float(a.layers["counts"].sum()),
  "X_pca": a.obsm["X_pca"].tolist(), "title": str(a.uns["title"]), "count": int(a.uns["count"]),
  "nested": float(a.uns["nested"]["deeper"]["x"]), "matrix": a.uns["matrix"].tolist(),
}))
`;
    const out = JSON.parse(execFileSync(py!, ["-c", script, path], { encoding: "utf8" }));
    expect(out.shape).toEqual([4, 3]);
    expect(out.format).toBe("csr");
    expect(out.sum).toBe(15);
    expect(out.obs_names).toEqual(["c1", "c2", "cé3", "c4"]);
    expect(out.var_names).toEqual(["g1", "g2", "g3"]);
    expect(out.columns).toEqual(["n_counts", "frac", "label", "flag", "group", "stage"]);
    expect(out.group).toEqual(["x", "y", null, "x"]);
    expect(out.group_cats).toEqual(["x", "y"]);
    expect(out.stage_ordered).toBe(true);
    expect(out.label).toEqual(["a", "b", "", "ünï"]);
    expect(out.n_counts).toEqual([3, 3, 0, 9]);
    expect(out.flag).toEqual([1, 0, 0, 1]);
    expect(out.layers).toEqual(["counts", "dense"]);
    expect(out.counts_sum).toBe(15);
    expect(out.X_pca).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    expect(out.title).toBe("a string");
    expect(out.count).toBe(7);
    expect(out.nested).toBe(1.5);
    expect(out.matrix).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  (py ? it : it.skip)("we read a file Python anndata wrote (bool column, dense X, nested uns)", async () => {
    const path = join(dir, "from-python.h5ad");
    const script = `
import sys, numpy as np, pandas as pd, anndata
obs = pd.DataFrame({"b": [True, False, True], "c": pd.Categorical(["u", "v", "u"]), "s": ["x", "y", "z"]},
                   index=["r1", "r2", "r3"])
a = anndata.AnnData(X=np.arange(6, dtype=np.float32).reshape(3, 2), obs=obs)
a.uns["d"] = {"k": np.array([1, 2, 3]), "t": "text"}
a.write_h5ad(sys.argv[1])
`;
    execFileSync(py!, ["-c", script, path], { stdio: "ignore" });
    const a = await readH5ad(path);
    expect(a.X).toEqual({ format: "dense", data: Float32Array.from([0, 1, 2, 3, 4, 5]), shape: [3, 2] });
    expect(a.obs.columns.b).toEqual([true, false, true]);
    expect(a.obs.columns.c).toMatchObject({
      kind: "categorical",
      categories: ["u", "v"],
      codes: Int32Array.from([0, 1, 0]),
    });
    expect(a.obs.columns.s).toEqual(["x", "y", "z"]);
    expect(a.uns.d).toEqual({ k: Float64Array.from([1, 2, 3]), t: "text" });
  });
});
