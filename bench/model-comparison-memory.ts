/**
 * Model comparison at scale (issue 15): WAIC and PSIS-LOO with cells as observations for
 * 10,000 cells × 2,000 genes × 500 posterior draws must fit in 2 GB. Two SVI fits (nbdm and
 * zinb at their initial guide, nSteps 0: the size of the computation does not depend on the
 * fit's quality) of simulated NB counts go through `compareModels` (per-cell log-likelihoods in
 * chunks of draws × cells, each chunk reduced on the fly), then WAIC, PSIS-LOO and stacking.
 *
 * Prints the time of each step, the peak resident memory two ways — the OS's high-water mark
 * (`process.resourceUsage().maxRSS`, which also counts the counts matrix and the module code)
 * and `process.memoryUsage().rss` sampled every 50 ms — and the 2 GB budget; never asserts.
 * For an outside figure run it as `/usr/bin/time -v npx tsx bench/model-comparison-memory.ts`
 * ("Maximum resident set size").
 *
 * Measured (2-core machine under load 20–32, /usr/bin/time -v): 10,000 × 2,000 genes with 10
 * draws peaked at 326 MiB (max RSS 334 MB, 37 s CPU), with 60 draws at 291 MiB (max RSS
 * 298 MB, 178 s CPU; PSIS-LOO 4.1 s wall of it). Memory beyond that grows only with the
 * outputs, the [S, C] and [S, G] matrices (2 fits × 500 × 12,000 × 8 B ≈ 96 MB at 500 draws),
 * so 500 draws stay near 0.4 GB; the time grows linearly with S. With 500 draws (Dec 2026,
 * same machine, load 4–20): peak 361 MiB (max RSS 369,608 kB), 2,303 s CPU, PSIS-LOO 8.9 s wall
 * (the elementwise NB likelihood of 2·10¹⁰ cell × gene × draw terms on one CPU thread).
 *
 * Usage: npx tsx bench/model-comparison-memory.ts [--cells 10000] [--genes 2000] [--draws 500]
 *   [--chunk-elements 4194304]
 */
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { fromTypedArray, key } from "@scribe/core";
import { compareModels } from "../packages/scribe-models/src/comparison/model-comparison.js";
import { GammaStream } from "../packages/scribe-models/src/de/bayesian/gamma-stream.js";
import { fit } from "../packages/scribe-models/src/fit.js";
import { argValue, printTable } from "./harness.js";

const MiB = 2 ** 20;
const BUDGET = 2 * 2 ** 30;

/** NB(r_g, p = 0.5) counts: Poisson(Gamma(r_g)) by inversion (float32, [C, G]). */
function simulateCounts(C: number, G: number): Float32Array {
  const rng = new GammaStream(key(3));
  const r = Float64Array.from({ length: G }, () => Math.exp(rng.normal()));
  const out = new Float32Array(C * G);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) {
      const lam = Math.exp(rng.logGamma(r[g]!));
      let k = 0;
      let p = Math.exp(-lam);
      let cdf = p;
      const u = rng.uniform();
      while (u > cdf && k < 100_000) {
        k++;
        p *= lam / k;
        cdf += p;
      }
      out[c * G + g] = k;
    }
  return out;
}

/** Run the bench with the command-line arguments. */
export async function runModelComparisonMemory(args: string[]): Promise<void> {
  const C = Number(argValue(args, "--cells") ?? 10000);
  const G = Number(argValue(args, "--genes") ?? 2000);
  const S = Number(argValue(args, "--draws") ?? 500);
  const chunk = Number(argValue(args, "--chunk-elements") ?? 4_194_304);
  let sampledPeak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
  }, 50);
  const rows: { name: string; ms: number | null; note?: string }[] = [];
  const step = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
    rows.push({
      name,
      ms: performance.now() - t0,
      note: `rss ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB, peak so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    });
    return out;
  };
  const counts = await step("simulate counts", () => fromTypedArray(simulateCounts(C, G), [C, G]));
  const fits = await step("two fits at their initial guide (nbdm, zinb; nSteps 0)", async () => [
    (await fit(counts, { model: "nbdm", nSteps: 0, seed: 1 })).results,
    (await fit(counts, { model: "zinb", nSteps: 0, seed: 2 })).results,
  ]);
  const cmp = await step(`compareModels: per-cell log-likelihoods, ${S} draws × 2 fits`, () =>
    compareModels(fits, counts, { nSamples: S, seed: 0, perGene: true, chunkElements: chunk }),
  );
  await step("WAIC (both fits)", () => cmp.waic());
  await step("PSIS-LOO (both fits)", () => cmp.psisLoo());
  await step("stacking weights", () => cmp.stackingWeights());
  clearInterval(timer);
  const osPeak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(", ")} on ${availableParallelism()} CPUs (wall times scale with the load)\n`,
  );
  printTable(
    `model comparison: ${C} cells × ${G} genes × ${S} draws, 2 fits (budget 2 GiB peak RSS)`,
    rows,
    "",
  );
  process.stdout.write(
    `peak RSS: ${(osPeak / MiB).toFixed(0)} MiB (OS high-water mark), ${(sampledPeak / MiB).toFixed(0)} MiB (sampled every 50 ms); budget ${(BUDGET / MiB).toFixed(0)} MiB: ${osPeak <= BUDGET ? "within" : "OVER"}\n`,
  );
  process.stdout.write(`${cmp.summary()}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  await runModelComparisonMemory(process.argv.slice(2));
