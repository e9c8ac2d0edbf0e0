/**
 * Parallel vs sequential chains on eight schools (issue 22, item 5): `npx tsx bench/mcmc-parallel.ts
 * [--chains 2] [--warmup 2000] [--samples 2000]`. The default length (2,000 warmup + 2,000
 * samples per chain) is a realistic run, so that sampling rather than worker start-up is most
 * of a warm run (at 500 + 500 a run lasts about 0.3 s). Prints both wall times from the
 * same run and their ratio, plus the parallel run's per-chain sampling time (what the
 * workers spend sampling), so the rest — worker start-up and module loading — is visible. The first
 * parallel run starts the workers (cold); later runs reuse them (warm). Then the pool is
 * emptied and started ahead with `prewarmMcmcWorkers` (timed on its own: a program overlaps
 * it with its other work), and a run on the prewarmed pool is timed. The load average is
 * printed: figures from a loaded machine are not comparable with quiet ones.
 */

import { execFileSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { key, tensor } from "@scribe/core";
import { closeMcmcWorkers, MCMC, prewarmMcmcWorkers } from "@scribe/infer/node";
import { eightSchoolsKernel } from "../test/infer/numpyro-parity-kernels.js";
import { argValue } from "./harness.js";

const args = process.argv.slice(2);
const numChains = Number(argValue(args, "--chains") ?? 2);
const numWarmup = Number(argValue(args, "--warmup") ?? 2000);
const numSamples = Number(argValue(args, "--samples") ?? 2000);
const y = tensor([28, 8, -3, 7, -1, 1, 18, 12]);
const sigma = tensor([15, 10, 16, 11, 9, 11, 10, 18]);
const opts = { numWarmup, numSamples, numChains, progressBar: false };
const spec = {
  module: new URL("../test/infer/numpyro-parity-kernels.ts", import.meta.url).href,
  exportName: "eightSchoolsKernel",
};

async function timed(mcmc: MCMC): Promise<number> {
  const t0 = performance.now();
  await mcmc.run(key(0), y, sigma);
  return (performance.now() - t0) / 1000;
}

const seq = new MCMC(eightSchoolsKernel(), opts);
const par = new MCMC(eightSchoolsKernel(), { ...opts, chainMethod: "parallel", kernelModule: spec });
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();
console.log(`before: ${uptime()}`);
const tSeq = [await timed(seq), await timed(seq)];
const tPar = [await timed(par), await timed(par)];
const inWorkers = par.chainResults.map((r) => r.warmupSeconds + r.sampleSeconds + r.postprocessSeconds);
const best = Math.min(...tSeq);
console.log(`eight schools NUTS, ${numChains} chains × (${numWarmup} warmup + ${numSamples} samples)`);
console.log(`sequential          ${tSeq.map((t) => t.toFixed(2)).join(" s, ")} s`);
console.log(
  `parallel, cold      ${tPar[0]!.toFixed(2)} s  (${(best / tPar[0]!).toFixed(2)}× the best sequential; starts the workers)`,
);
console.log(
  `parallel, warm      ${tPar[1]!.toFixed(2)} s  (${(best / tPar[1]!).toFixed(2)}× the best sequential; chains ran ${inWorkers.map((t) => t.toFixed(2)).join(", ")} s in their workers)`,
);
await closeMcmcWorkers();
let t0 = performance.now();
await prewarmMcmcWorkers(numChains, spec);
const tWarmup = (performance.now() - t0) / 1000;
const fresh = new MCMC(eightSchoolsKernel(), { ...opts, chainMethod: "parallel", kernelModule: spec });
t0 = performance.now();
await fresh.run(key(0), y, sigma);
const tPre = (performance.now() - t0) / 1000;
console.log(
  `parallel, prewarmed ${tPre.toFixed(2)} s  (${(best / tPre).toFixed(2)}× the best sequential; prewarmMcmcWorkers(${numChains}) took ${tWarmup.toFixed(2)} s before it)`,
);
console.log(`load average (1 min) ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
console.log(`after:  ${uptime()}`);
await closeMcmcWorkers();
