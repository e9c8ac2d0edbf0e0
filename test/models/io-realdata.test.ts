// Reading the bundled real datasets: h5ad (written by anndata 0.8.0) and 10x folders must agree
// with each other and with each folder's stats.json.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getNumericColumn, getStringColumn } from "@scribe/models/io/frame.js";
import { colSums, matrixNnz, rowSums, toCsr, validateCounts } from "@scribe/models/io/index.js";
import { read10x, readH5ad, writeH5ad } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The four real datasets shipped in ../shared/data (next to the repo). */
const DATASETS = [
  "pbmc3k_sctransform",
  "pbmc3k_decoupler",
  "visium_mouse_brain_100genes",
  "geuvadis_humangender_bulk",
] as const;

/** Folder holding a dataset: the shared copy, else the repo's examples/ or test fixtures. */
function datasetDir(name: string): string | undefined {
  const candidates = [
    `${root}../shared/data/${name}`,
    `${root}examples/data/${name}`,
    `${root}test/fixtures/data/${name}`,
  ];
  return candidates.find((d) => existsSync(`${d}/${name}.h5ad`) && existsSync(`${d}/matrix.mtx`));
}

/** The dataset's stats.json. */
interface Stats {
  n_cells: number;
  n_genes: number;
  nnz: number;
  total_counts: number;
  max_count: number;
  counts_per_cell: { min: number; median: number; max: number };
  genes_all_zero: number;
}

function readStats(dir: string): Stats {
  return JSON.parse(readFileSync(`${dir}/stats.json`, "utf8")) as Stats;
}

function median(xs: ArrayLike<number>): number {
  const s = Array.from(xs).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

describe.each(DATASETS)("real data %s", (name) => {
  const dir = datasetDir(name);
  const run = dir ? it : it.skip;

  run("h5ad matches stats.json (shape, nnz, totals, per-cell counts)", async () => {
    const a = await readH5ad(`${dir}/${name}.h5ad`);
    const s = readStats(dir!);
    expect(a.X.format).toBe("csr");
    expect(a.X.shape).toEqual([s.n_cells, s.n_genes]);
    expect(a.obs.index).toHaveLength(s.n_cells);
    expect(a.var.index).toHaveLength(s.n_genes);
    expect(matrixNnz(a.X)).toBe(s.nnz);
    expect(a.X.data).toBeInstanceOf(Float32Array);
    const cell = rowSums(a.X);
    expect(cell.reduce((x, y) => x + y, 0)).toBe(s.total_counts);
    expect(Math.min(...cell)).toBe(s.counts_per_cell.min);
    expect(Math.max(...cell)).toBe(s.counts_per_cell.max);
    expect(median(cell)).toBe(s.counts_per_cell.median);
    expect((a.X.data as Float32Array).reduce((m: number, v: number) => Math.max(m, v), 0)).toBe(s.max_count);
    expect(Array.from(colSums(a.X)).filter((t) => t === 0)).toHaveLength(s.genes_all_zero);
    // obs n_counts column equals the per-cell totals
    expect(getNumericColumn(a.obs, "n_counts")).toEqual(Array.from(cell));
    // counts are valid integer counts (empty cells/genes allowed here)
    expect(() => validateCounts(a, { allowEmpty: true })).not.toThrow();
  });

  run("10x folder equals the h5ad (X after transpose, names, obs)", async () => {
    const a = await readH5ad(`${dir}/${name}.h5ad`);
    const b = read10x(dir!);
    expect(b.X.shape).toEqual(a.X.shape);
    const xa = toCsr(a.X);
    const xb = toCsr(b.X);
    expect(Array.from(xb.indptr)).toEqual(Array.from(xa.indptr));
    expect(Array.from(xb.indices)).toEqual(Array.from(xa.indices));
    expect(Array.from(xb.data)).toEqual(Array.from(xa.data));
    expect(b.obs.index).toEqual(a.obs.index);
    expect(b.var.index).toEqual(a.var.index);
    expect(getStringColumn(b.var, "gene_ids")).toEqual(getStringColumn(a.var, "gene_ids"));
    for (const col of Object.keys(b.obs.columns)) {
      const fromTsv = b.obs.columns[col];
      if (Array.isArray(fromTsv) && typeof fromTsv[0] === "number") {
        const h = getNumericColumn(a.obs, col);
        (fromTsv as number[]).forEach((v, i) => {
          expect(v).toBeCloseTo(h[i]!, 9);
        });
      } else {
        expect(getStringColumn(b.obs, col)).toEqual(getStringColumn(a.obs, col));
      }
    }
  });
});

describe("real data extras", () => {
  const visium = datasetDir("visium_mouse_brain_100genes");
  (visium ? it : it.skip)("visium obsm['spatial'] and uns scalefactors", async () => {
    const a = await readH5ad(`${visium}/visium_mouse_brain_100genes.h5ad`);
    const sp = a.obsm?.spatial;
    expect(sp?.format).toBe("dense");
    expect(sp?.shape).toEqual([2695, 2]);
    const px = getNumericColumn(a.obs, "pxl_col_in_fullres");
    const py = getNumericColumn(a.obs, "pxl_row_in_fullres");
    expect(sp!.format === "dense" && sp!.data[0]).toBe(px[0]);
    expect(sp!.format === "dense" && sp!.data[1]).toBe(py[0]);
    const sf = a.uns.spatial_scalefactors as Record<string, number>;
    expect(sf.spot_diameter_fullres).toBeCloseTo(96.3607212981978, 12);
    expect(typeof sf.tissue_hires_scalef).toBe("number");
  });

  const geu = datasetDir("geuvadis_humangender_bulk");
  (geu ? it : it.skip)("geuvadis gzip-compressed h5ad with categorical sex", async () => {
    const a = await readH5ad(`${geu}/geuvadis_humangender_bulk.h5ad`);
    const sex = a.obs.columns.sex;
    expect(sex !== undefined && !Array.isArray(sex) && sex.kind).toBe("categorical");
    const values = getStringColumn(a.obs, "sex");
    expect(values.filter((v) => v === "Male")).toHaveLength(44);
    expect(values.filter((v) => v === "Female")).toHaveLength(41);
  });

  const pbmc = datasetDir("pbmc3k_sctransform");
  (pbmc ? it : it.skip)("pbmc3k: read → write (gzip) → read gives identical X, obs and var", async () => {
    const a = await readH5ad(`${pbmc}/pbmc3k_sctransform.h5ad`);
    const tmp = mkdtempSync(join(tmpdir(), "scribe-io-real-"));
    try {
      await writeH5ad(join(tmp, "copy.h5ad"), a, { compression: 4 });
      const b = await readH5ad(join(tmp, "copy.h5ad"));
      expect(b.X).toEqual(a.X);
      expect(b.obs).toEqual(a.obs);
      expect(b.var).toEqual(a.var);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
