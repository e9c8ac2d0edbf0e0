/**
 * W6 — pseudobulk at atlas scale (issue 20 item 2).
 *
 * Generates a CSR `.h5ad` of --cells cells × --genes genes (default 1,000,000 × 2,000, about
 * --density 2 % non-zero, counts 1–20, obs columns sample (24 levels) and cell_type (8 levels))
 * in a temporary folder, written in row blocks through resizable HDF5 datasets so the
 * generator never holds X whole. Then, each in a fresh child process (so its peak resident
 * memory is its own): (1) streaming pseudobulk by sample × cell_type (openAnnData backed +
 * pseudobulk), (2) the in-memory path (readH5ad, then the same sums) when --cells is at most
 * --in-memory-max (default 200,000; it needs X whole). Prints time and peak RSS of each.
 * Never asserts timings.
 *
 * Usage: npm run bench -- w6 [--cells 1000000] [--genes 2000] [--density 0.02] [--in-memory-max 200000] [--keep]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAnnData } from "../packages/scribe-models/src/io/anndata.js";
import { categorical } from "../packages/scribe-models/src/io/frame.js";
import { h5, withH5 } from "../packages/scribe-models/src/io/h5-runtime.js";
import { writeFrame } from "../packages/scribe-models/src/io/h5ad-write.js";
import { openAnnData, pseudobulk, readH5ad } from "../packages/scribe-models/src/io/node.js";
import { argValue } from "./harness.js";

const HERE = fileURLToPath(import.meta.url);

/** Write the generated CSR file at `path`, `rowsPerBlock` cells at a time. */
export async function generate(path: string, cells: number, genes: number, density: number): Promise<void> {
  let s = 20261205;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const samples = Array.from({ length: cells }, (_, c) => `donor${Math.floor((c * 24) / cells)}`);
  const types = Array.from({ length: cells }, () => `type${Math.floor(rand() * 8)}`);
  const meta = createAnnData({
    X: { format: "dense", data: new Float32Array(0), shape: [cells, 0] },
    obs: {
      index: Array.from({ length: cells }, (_, c) => `cell${c}`),
      columns: { sample: categorical(samples), cell_type: categorical(types) },
    },
    var: { index: [], columns: {} },
  });
  await withH5((lib) => {
    const f = new lib.File(path, "w");
    f.create_attribute("encoding-type", "anndata");
    f.create_attribute("encoding-version", "0.1.0");
    writeFrame(f, "obs", meta.obs, {});
    writeFrame(f, "var", { index: Array.from({ length: genes }, (_, g) => `gene${g}`), columns: {} }, {});
    const x = f.create_group("X");
    x.create_attribute("encoding-type", "csr_matrix");
    x.create_attribute("encoding-version", "0.1.0");
    x.create_attribute("shape", BigInt64Array.of(BigInt(cells), BigInt(genes)));
    const chunk = 1 << 20;
    const data = x.create_dataset({
      name: "data",
      data: new Float32Array(0),
      shape: [0],
      maxshape: [null],
      chunks: [chunk],
      dtype: "<f",
    });
    const indices = x.create_dataset({
      name: "indices",
      data: new Int32Array(0),
      shape: [0],
      maxshape: [null],
      chunks: [chunk],
      dtype: "<i",
    });
    const indptr = new Int32Array(cells + 1);
    const block = 20_000;
    let nnz = 0;
    for (let c0 = 0; c0 < cells; c0 += block) {
      const c1 = Math.min(cells, c0 + block);
      const vals: number[] = [];
      const idx: number[] = [];
      for (let c = c0; c < c1; c++) {
        // geometric gaps give each gene the same chance `density` of a non-zero count
        let g = Math.floor(Math.log(1 - rand()) / Math.log(1 - density));
        while (g < genes) {
          idx.push(g);
          vals.push(1 + Math.floor(rand() * 20));
          g += 1 + Math.floor(Math.log(1 - rand()) / Math.log(1 - density));
        }
        indptr[c + 1] = nnz + idx.length;
      }
      if (idx.length > 0) {
        data.resize([nnz + idx.length]);
        indices.resize([nnz + idx.length]);
        data.write_slice([[nnz, nnz + idx.length]], Float32Array.from(vals));
        indices.write_slice([[nnz, nnz + idx.length]], Int32Array.from(idx));
      }
      nnz += idx.length;
    }
    x.create_dataset({ name: "indptr", data: indptr, shape: [cells + 1], dtype: "<i" });
    f.close();
  });
}

/** Child process: run one path on `file` and print { seconds, groups, maxRssMiB } as JSON. */
async function child(mode: string, file: string): Promise<void> {
  await h5(); // loading h5wasm (slow under tsx's loader) is not part of the figure
  const t0 = performance.now();
  let groups: number;
  if (mode === "stream") {
    const ad = await openAnnData(file, { backed: true });
    try {
      groups = pseudobulk(ad, { by: ["sample", "cell_type"] }).X.shape[0];
    } finally {
      ad.close();
    }
  } else {
    // the in-memory path: X whole, then the same sums over a backed-like view of it
    const ad = await readH5ad(file);
    const view = {
      path: file,
      shape: ad.X.shape,
      format: ad.X.format === "csc" ? "csr" : ad.X.format,
      obs: ad.obs,
      var: ad.var,
      readRows: () => ad.X,
      readCols: () => ad.X,
      *cellBlocks() {
        yield { start: 0, end: ad.X.shape[0], X: ad.X };
      },
      *geneBlocks() {
        yield { start: 0, end: ad.X.shape[1], X: ad.X };
      },
      close() {},
    } as unknown as Parameters<typeof pseudobulk>[0];
    groups = pseudobulk(view, { by: ["sample", "cell_type"] }).X.shape[0];
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ seconds, groups, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

export async function runW6(args: string[]): Promise<void> {
  const cells = Number(argValue(args, "--cells") ?? 1_000_000);
  const genes = Number(argValue(args, "--genes") ?? 2000);
  const density = Number(argValue(args, "--density") ?? 0.02);
  const inMemoryMax = Number(argValue(args, "--in-memory-max") ?? 200_000);
  const dir = mkdtempSync(join(tmpdir(), "scribe-w6-"));
  const file = join(dir, "atlas.h5ad");
  try {
    const t0 = performance.now();
    await generate(file, cells, genes, density);
    console.log(
      `W6: generated ${cells} cells × ${genes} genes (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB CSR) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const modes = cells <= inMemoryMax ? ["stream", "memory"] : ["stream"];
    console.log(`${"path".padEnd(44)} ${"s".padStart(8)} ${"peak RSS MiB".padStart(14)}  groups`);
    for (const mode of modes) {
      const r = spawnSync(process.execPath, ["--import", "tsx", HERE, "--child", mode, file], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
      });
      if (r.status !== 0) {
        console.log(`${mode}: failed: ${r.stderr.slice(-1000)}`);
        continue;
      }
      const o = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
        seconds: number;
        groups: number;
        maxRssMiB: number;
      };
      const name =
        mode === "stream"
          ? "pseudobulk, X streamed (openAnnData backed)"
          : "pseudobulk, X in memory (readH5ad)";
      console.log(
        `${name.padEnd(44)} ${o.seconds.toFixed(2).padStart(8)} ${o.maxRssMiB.toFixed(0).padStart(14)}  ${o.groups}`,
      );
    }
    if (cells > inMemoryMax)
      console.log(`(in-memory path skipped above --in-memory-max ${inMemoryMax} cells)`);
  } finally {
    if (!args.includes("--keep")) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${file}`);
  }
}

// Only as the entry module: another bench imports `generate` from here (bench/backed-fit.ts),
// and its own `--child` argument must not start W6's pseudobulk child.
const childAt = process.argv.indexOf("--child");
if (childAt >= 0 && process.argv[1] === HERE)
  await child(process.argv[childAt + 1]!, process.argv[childAt + 2]!);
