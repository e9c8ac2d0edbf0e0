/**
 * IO — `.h5ad` read and write against Python's anndata (issue 20 item 0).
 *
 * Files: the simulated DE data (28 samples × 16,000 genes, dense float32 X, string var
 * index, categorical obs column; packages/scribe-models/src/de/simulate.ts, seed 1) and a
 * sparse single-cell-like file (5,000 cells × 2,000 genes CSR, string and categorical obs
 * columns). Both are written by our writeH5ad, then each implementation reads and writes
 * them in its own warm process (median of --reps runs after one warm-up); a second table
 * times a whole cold process reading the dense file once (Node on the built dist/, as the
 * `scribe` command starts; Python with `import anndata`). anndata's figures come from the
 * same run when a Python with anndata is found (Debian: python3-anndata).
 *
 * Usage: npm run bench -- io [--reps 7]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { simulateTwoGroup } from "../packages/scribe-models/src/de/index.js";
import { withH5 } from "../packages/scribe-models/src/io/h5-runtime.js";
import { encodeAnnData } from "../packages/scribe-models/src/io/h5ad-write.js";
import { type AnnData, categorical, createAnnData } from "../packages/scribe-models/src/io/index.js";
import { readH5ad, writeH5ad } from "../packages/scribe-models/src/io/node.js";
import { argValue, printTable, timeIt } from "./harness.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The 28 × 16,000 simulated DE data as an AnnData (samples × genes, float32). */
export function simulatedDeAnnData(): AnnData {
  const sim = simulateTwoGroup({ nGenes: 16000, nPerGroup: 14, seed: 1 });
  const { data, nGenes: G, nSamples: n } = sim.counts;
  const X = new Float32Array(n * G);
  for (let g = 0; g < G; g++) for (let i = 0; i < n; i++) X[i * G + g] = data[g * n + i]!;
  return createAnnData({
    X: { format: "dense", data: X, shape: [n, G] },
    obs: {
      index: Array.from({ length: n }, (_, i) => `sample${i}`),
      columns: { condition: categorical([...sim.conditions]) },
    },
    var: { index: Array.from({ length: G }, (_, g) => `gene${g}`), columns: {} },
  });
}

/** A sparse cells × genes count matrix (~10 % non-zero) with string and categorical obs columns. */
export function sparseAnnData(cells: number, genes: number): AnnData {
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const indptr = new Int32Array(cells + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let c = 0; c < cells; c++) {
    for (let g = 0; g < genes; g++) {
      if (rand() < 0.1) {
        indices.push(g);
        values.push(1 + Math.floor(rand() * 20));
      }
    }
    indptr[c + 1] = indices.length;
  }
  return createAnnData({
    X: {
      format: "csr",
      data: Float32Array.from(values),
      indices: Int32Array.from(indices),
      indptr,
      shape: [cells, genes],
    },
    obs: {
      index: Array.from({ length: cells }, (_, c) => `AAACCTGAGC${String(c).padStart(6, "0")}-1`),
      columns: {
        sample: categorical(Array.from({ length: cells }, (_, c) => `donor${c % 8}`)),
        barcode_note: Array.from({ length: cells }, (_, c) => `lane ${c % 4}`),
      },
    },
    var: {
      index: Array.from({ length: genes }, (_, g) => `ENSG${String(g).padStart(11, "0")}`),
      columns: {},
    },
  });
}

/** A Python interpreter that imports anndata, or undefined. */
function pythonWithAnndata(): string | undefined {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(py, ["-c", "import anndata"], { stdio: "ignore", timeout: 60_000 });
      return py;
    } catch {
      // try the next
    }
  }
  return undefined;
}

const PY_TIMING = `
import json, sys, time, statistics, anndata
reps = int(sys.argv[1]); out = {}
for name, path in zip(sys.argv[2::2], sys.argv[3::2]):
    def t(f):
        f(); runs = []
        for _ in range(reps):
            t0 = time.perf_counter(); f(); runs.append((time.perf_counter() - t0) * 1000)
        return statistics.median(runs)
    a = anndata.read_h5ad(path)
    out[name] = {"read": t(lambda: anndata.read_h5ad(path)), "write": t(lambda: a.write_h5ad(path + ".py.h5ad"))}
print(json.dumps({"version": anndata.__version__, "t": out}))
`;

/** Wall time (ms) of a process, median of `reps`. */
function processMs(cmd: string, args: string[], reps: number): number | null {
  const runs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) {
      console.error(`${cmd} ${args.join(" ")}: ${r.stderr?.toString().slice(-500)}`);
      return null;
    }
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}

export async function runIo(args: string[]): Promise<void> {
  const reps = Number(argValue(args, "--reps") ?? 7);
  const dir = mkdtempSync(join(tmpdir(), "scribe-bench-io-"));
  try {
    const files: Record<string, AnnData> = {
      "dense 28 x 16,000 (simulated DE)": simulatedDeAnnData(),
      "CSR 5,000 x 2,000 (10 % non-zero)": sparseAnnData(5000, 2000),
    };
    const paths: Record<string, string> = {};
    let k = 0;
    for (const [name, ad] of Object.entries(files)) {
      paths[name] = join(dir, `f${k++}.h5ad`);
      await writeH5ad(paths[name]!, ad);
    }
    const py = pythonWithAnndata();
    let peer: { version: string; t: Record<string, { read: number; write: number }> } | null = null;
    if (py) {
      const script = join(dir, "timing.py");
      writeFileSync(script, PY_TIMING);
      const argv = [script, String(reps), ...Object.entries(paths).flat()];
      peer = JSON.parse(execFileSync(py, argv, { encoding: "utf8", timeout: 600_000 }));
    } else console.log("Python anndata not found (Debian: apt-get install python3-anndata): no peer figures");
    for (const [name, ad] of Object.entries(files)) {
      const path = paths[name]!;
      const read = await timeIt(() => readH5ad(path), { runs: reps });
      const write = await timeIt(() => writeH5ad(`${path}.ours.h5ad`, ad), { runs: reps });
      // the encoding alone (what anndata's write does): h5wasm calls and close, no fsync,
      // no boolean-attribute patch, no read-back; the rest of writeH5ad is its safety
      const encode = await timeIt(
        () =>
          withH5((lib) => {
            const f = new lib.File(`${path}.enc.h5ad`, "w", { libver: ["earliest", "latest"] } as never);
            try {
              encodeAnnData(f, ad, {});
            } finally {
              f.close();
            }
          }),
        { runs: reps },
      );
      const p = peer?.t[name];
      printTable(
        `IO: ${name}, read (warm process, median of ${reps})`,
        [
          { name: "ours readH5ad", ms: read.medianMs },
          { name: `anndata ${peer?.version ?? ""} read_h5ad`, ms: p?.read ?? null },
        ],
        "ours readH5ad",
      );
      printTable(
        `IO: ${name}, write (warm process, median of ${reps})`,
        [
          {
            name: "ours writeH5ad",
            ms: write.medianMs,
            note: "atomic: temp file, fsync beside the read-back check of X/indexes/keys, rename",
          },
          { name: "ours encode only", ms: encode.medianMs, note: "h5wasm encode + close, as anndata writes" },
          { name: `anndata ${peer?.version ?? ""} write_h5ad`, ms: p?.write ?? null, note: "in place" },
        ],
        "ours writeH5ad",
      );
    }
    // a whole cold process: start, load the reader, read the dense file once
    const dense = paths["dense 28 x 16,000 (simulated DE)"]!;
    const dist = join(ROOT, "packages/scribe-models/dist/io/node.js");
    const nodeScript = join(dir, "cold.mjs");
    writeFileSync(
      nodeScript,
      `const { readH5ad } = await import(${JSON.stringify(dist)});\nawait readH5ad(${JSON.stringify(dense)});\n`,
    );
    const coldReps = Math.max(3, Math.floor(reps / 2));
    printTable(
      `IO: a cold process reading the dense file once (median of ${coldReps})`,
      [
        {
          name: "node + dist/ readH5ad",
          ms: existsSync(dist) ? processMs(process.execPath, [nodeScript], coldReps) : null,
          note: existsSync(dist) ? "" : "no build: run npm run build",
        },
        {
          name: "python + import anndata + read_h5ad",
          ms: py
            ? processMs(py, ["-c", `import anndata; anndata.read_h5ad(${JSON.stringify(dense)})`], coldReps)
            : null,
        },
      ],
      "node + dist/ readH5ad",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
