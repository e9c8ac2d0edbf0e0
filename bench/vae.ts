/**
 * VAE — one epoch of VAE training (issue 19): 10,000 cells × 2,000 genes, minibatches of 512
 * (20 steps), nbdm, SCRIBE's default networks (encoder [128, 64], decoder [64, 128], latent 10,
 * ReLU), Adam(1e−3). Our figure: the time from the end of the first step to the end of the
 * epoch, scaled to the epoch's step count (the first step includes tracing and param init),
 * as wall time and as the process's CPU time (user + system) over the same steps; on a shared,
 * loaded machine the CPU time moves far less between runs than the wall time. The load
 * average is printed with them.
 * The peer: the same network in PyTorch (bench/vae_torch.py, 2 threads) when `python3 -c
 * "import torch"` works (Debian `python3-torch`); otherwise the output says so. Prints both
 * and the ratio; never asserts timings. Debian's torch calls the generic libblas.so.3 — the
 * reference BLAS unless an optimized one is installed — so the peer is run against OpenBLAS
 * when SCRIBE_TORCH_BLAS_DIR or Debian's libopenblas0-pthread directory provides one, and
 * prints which BLAS it used.
 *
 * `--threads N` turns on core's worker pool for fused element-wise loops (as `scribe fit
 * --threads` does); matrix products stay on the calling thread.
 *
 * Usage: npx tsx bench/vae.ts [--cells 10000] [--genes 2000] [--batch 512] [--threads 1] [--no-peer]
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromTypedArray } from "@scribe/core";
import { enableThreads } from "@scribe/core/node";
import { fitVae } from "../packages/scribe-models/src/vae/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const C = arg("--cells", 10000);
const G = arg("--genes", 2000);
const B = arg("--batch", 512);
const K = 10;
const THREADS = arg("--threads", 1);
if (THREADS > 1) enableThreads(THREADS);

// counts: Poisson draws around per-gene means exp(N(0, 1)) (a cheap LCG; the data's values do not change the work)
const counts = new Float32Array(C * G);
let s = 12345;
const u = () => {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  return (s >>> 8) / 16777216;
};
const means = Float64Array.from({ length: G }, () => Math.exp(2 * (u() + u() + u() - 1.5)));
for (let c = 0; c < C; c++)
  for (let g = 0; g < G; g++) {
    const L = Math.exp(-means[g]!);
    let k = 0;
    let p = u();
    while (p > L && k < 200) {
      p *= u();
      k++;
    }
    counts[c * G + g] = k;
  }

const steps = Math.ceil(C / B);
const stamps: number[] = [];
// process CPU time (user + system, ms) at the same points: steadier than wall time on a loaded machine
const cpuStamps: number[] = [];
const t0 = performance.now();
await fitVae(fromTypedArray(counts, [C, G]), {
  inferenceMethod: "vae",
  model: "nbdm",
  latentDim: K,
  nSteps: steps + 1,
  batchSize: B,
  // an epoch over all C cells, as the PyTorch peer runs it (no cells held out, no held-out checks)
  validation: false,
  progressEvery: 1,
  onProgress: () => {
    stamps.push(performance.now());
    const u = process.cpuUsage();
    cpuStamps.push((u.user + u.system) / 1000);
  },
});
const total = performance.now() - t0;
const ours = ((stamps[stamps.length - 1]! - stamps[0]!) / (stamps.length - 1)) * steps;
const oursCpu = ((cpuStamps[cpuStamps.length - 1]! - cpuStamps[0]!) / (cpuStamps.length - 1)) * steps;
console.log(
  `VAE epoch, ${C} cells × ${G} genes, batch ${B} (${steps} steps), nbdm, latent ${K}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(", ")}`,
);
console.log(
  `  scribe (cpu, ${THREADS} thread${THREADS > 1 ? "s" : ""}): ${ours.toFixed(0)} ms per epoch, process CPU time ${oursCpu.toFixed(0)} ms per epoch (whole fit incl. setup and first step: ${total.toFixed(0)} ms)`,
);

// the first interpreter that imports torch: $SCRIBE_PYTHON, python3 on PATH, Debian's /usr/bin/python3
const noPeer = process.argv.includes("--no-peer");
const candidates = [process.env.SCRIBE_PYTHON, "python3", "/usr/bin/python3"].filter((x): x is string => !!x);
const python = noPeer
  ? undefined
  : candidates.find((py) => {
      try {
        execFileSync(py, ["-c", "import torch"], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    });
const torchOk = python !== undefined;
if (noPeer) console.log("  pytorch: skipped (--no-peer)");
else if (!torchOk)
  console.log(
    `  pytorch: not available (import torch fails with ${candidates.join(", ")}; install Debian python3-torch)`,
  );
else {
  const file = join(tmpdir(), `vae-bench-${process.pid}.f32`);
  writeFileSync(file, Buffer.from(counts.buffer));
  // Debian's python3-torch calls the generic libblas.so.3, which is the reference BLAS unless
  // an optimized one is installed: point it at OpenBLAS when one is around (SCRIBE_TORCH_BLAS_DIR,
  // or Debian's libopenblas0-pthread), so the peer's matmuls are not handicapped.
  const blasDir = [process.env.SCRIBE_TORCH_BLAS_DIR, "/usr/lib/x86_64-linux-gnu/openblas-pthread"].find(
    (d): d is string => !!d && existsSync(join(d, "libblas.so.3")),
  );
  const env = blasDir
    ? {
        ...process.env,
        LD_LIBRARY_PATH: [blasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
        OPENBLAS_NUM_THREADS: process.env.SCRIBE_TORCH_THREADS ?? "2",
      }
    : process.env;
  const out = execFileSync(
    python!,
    [join(HERE, "vae_torch.py"), file, String(C), String(G), String(B), String(K)],
    { encoding: "utf8", env },
  );
  rmSync(file, { force: true });
  const peer = JSON.parse(out.trim().split("\n").pop()!) as {
    epoch_ms: number;
    threads: number;
    blas?: string[];
  };
  console.log(
    `  pytorch (cpu, ${peer.threads} threads, BLAS ${peer.blas?.join(", ") || "unknown"}): ${peer.epoch_ms.toFixed(0)} ms per epoch`,
  );
  console.log(`  ratio scribe / pytorch: ${(ours / peer.epoch_ms).toFixed(2)}`);
}
