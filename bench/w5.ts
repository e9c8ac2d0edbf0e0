/**
 * W5 — Bayesian DE (BENCHMARKS.md §W5): 20,000 genes × 1,000 posterior draws × 2 conditions,
 * empirical method (CLR, τ = 0.5), in batches of draws (bounded memory).
 *
 * Rows: (1) the comparison from posterior draws (r and p per draw in memory, as MCMC results
 * or stored draws give them): compositions, CLR, Δ and its per-gene statistics; (2) the same
 * comparison from SVI results, the guide draws included; (3) the peer, the same algorithm in
 * NumPy (bench/w5_numpy.py, numpy's C Gamma sampler) when `python3` with numpy is installed.
 * Prints the figures (wall and CPU seconds: on the shared 2-core machine the wall time follows
 * the load, which is printed too), the 10 s budget and the resident memory; never asserts timings.
 *
 * Usage: npx tsx bench/w5.ts [--genes 20000] [--draws 1000] [--no-results] [--no-peer]
 */
import { execFileSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromTypedArray, key } from "@scribe/core";
import {
  compare,
  drawsSource,
  empiricalDelta,
  GammaStream,
} from "../packages/scribe-models/src/de/bayesian/index.js";
import { fit } from "../packages/scribe-models/src/fit.js";
import { argValue, printTable } from "./harness.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/** User + system CPU seconds of a `process.cpuUsage` difference. */
function cpuSeconds(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1e6;
}

/** Posterior draws like a fitted nbdm's: r_sg = r_g·exp(0.1 z), p_s ∈ [0.4, 0.6]. */
function syntheticDraws(G: number, S: number, seed: number, base: Float64Array) {
  const rng = new GammaStream(key(seed));
  const r = new Float32Array(S * G);
  for (let s = 0; s < S; s++)
    for (let g = 0; g < G; g++) r[s * G + g] = base[g]! * Math.exp(0.1 * rng.normal());
  const p = Float32Array.from({ length: S }, () => 0.4 + 0.2 * rng.uniform());
  return { r, p };
}

/** Run W5 with the command-line arguments after the workload name. */
export async function runW5(args: string[]): Promise<void> {
  const G = Number(argValue(args, "--genes") ?? 20000);
  const S = Number(argValue(args, "--draws") ?? 1000);
  const genes = Array.from({ length: G }, (_, g) => `g${g}`);
  const rng = new GammaStream(key(1));
  const base = Float64Array.from({ length: G }, () => Math.exp(0.5 + rng.normal()));
  const a = syntheticDraws(G, S, 2, base);
  const b = syntheticDraws(G, S, 3, base);
  const rows: { name: string; ms: number | null; note?: string }[] = [];
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const post = await empiricalDelta(
    drawsSource({ genes, r: a.r, p: a.p, nDraws: S }),
    drawsSource({ genes, r: b.r, p: b.p, nDraws: S }),
    { nSamples: S, tau: [0.5] },
  );
  const msDraws = performance.now() - t0;
  const cpuDraws = cpuSeconds(process.cpuUsage(cpu0));
  const rss1 = process.memoryUsage().rss;
  rows.push({
    name: "scribe empirical, from posterior draws",
    ms: msDraws,
    note: `cpu ${cpuDraws.toFixed(1)} s; rss +${((rss1 - rss0) / 2 ** 20).toFixed(0)} MiB (draws themselves ${((2 * S * G * 4) / 2 ** 20).toFixed(0)} MiB); Δ draws kept: ${post.draws !== null}`,
  });

  if (!args.includes("--no-results")) {
    // SVI results with 20,000 genes: nbdm at its initial guide (nSteps 0) on a 2-cell matrix;
    // the comparison then draws r and p from the guide, batch by batch
    const counts = fromTypedArray(
      Float32Array.from({ length: 2 * G }, (_, i) => i % 7),
      [2, G],
    );
    const resA = (await fit(counts, { model: "nbdm", nSteps: 0, seed: 1 })).results;
    const resB = (await fit(counts, { model: "nbdm", nSteps: 0, seed: 2 })).results;
    t0 = performance.now();
    const cpu1 = process.cpuUsage();
    await compare(resA, resB, { nSamples: S, tau: 0.5 });
    rows.push({
      name: "scribe empirical, from SVI results (guide draws incl.)",
      ms: performance.now() - t0,
      note: `cpu ${cpuSeconds(process.cpuUsage(cpu1)).toFixed(1)} s`,
    });
  }
  if (!args.includes("--no-peer")) {
    try {
      const out = execFileSync(
        "python3",
        [join(HERE, "w5_numpy.py"), String(G), String(S), String(Math.max(1, Math.floor(4e6 / G)))],
        { encoding: "utf8", maxBuffer: 1 << 20 },
      );
      const peer = JSON.parse(out.trim().split("\n").pop()!) as { seconds: number; cpuSeconds: number };
      rows.push({
        name: "NumPy, same algorithm (bench/w5_numpy.py)",
        ms: peer.seconds * 1000,
        note: `cpu ${peer.cpuSeconds.toFixed(1)} s`,
      });
    } catch (err) {
      rows.push({
        name: "NumPy, same algorithm (bench/w5_numpy.py)",
        ms: null,
        note: `not run: ${(err as Error).message.split("\n")[0]}`,
      });
    }
  }
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");
  process.stdout.write(
    `load average ${load} on ${availableParallelism()} CPUs: wall time scales with the load; cpu is this process's user + system time\n`,
  );
  printTable(
    `W5 Bayesian DE: ${G} genes × ${S} draws × 2 conditions (budget 10 s on the 2-core machine)`,
    rows,
    "scribe empirical, from posterior draws",
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runW5(process.argv.slice(2));
