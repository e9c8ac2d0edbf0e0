/**
 * Parallel vs sequential chains on eight schools (issue 22, item 5): `npx tsx bench/mcmc-parallel.ts
 * [--chains 2] [--warmup 2000] [--samples 2000] [--rounds 6]`. The default length (2,000 warmup + 2,000
 * samples per chain) is a realistic run, so that sampling rather than worker start-up is most
 * of a warm run (at 500 + 500 a run lasts about 0.3 s). Prints both wall times from the
 * same run and their ratio, plus each chain's sampling time (on this thread or a worker), so
 * the rest — worker start-up and messaging — is visible, and the process CPU seconds of each
 * run (less sensitive to other load than wall time; the parallel runs' include the workers').
 * The first run of each is timed (cold: the parallel one starts the worker, and this thread
 * runs the chains while it loads, so it should take about the sequential time); then
 * `--rounds` rounds alternate sequential and parallel runs (warm: the loaded worker is
 * reused), and the medians of their later half are compared.
 * Then the pool is emptied and started ahead with `prewarmMcmcWorkers` (timed on its own: a
 * program overlaps it with its other work), and a run on the prewarmed pool is timed. The
 * load average is printed: figures from a loaded machine are not comparable with quiet ones.
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
const rounds = Number(argValue(args, "--rounds") ?? 6);
const y = tensor([28, 8, -3, 7, -1, 1, 18, 12]);
const sigma = tensor([15, 10, 16, 11, 9, 11, 10, 18]);
const opts = { numWarmup, numSamples, numChains, progressBar: false };
const spec = {
  module: new URL("../test/infer/numpyro-parity-kernels.ts", import.meta.url).href,
  exportName: "eightSchoolsKernel",
};

/** Wall and process CPU seconds of one run. */
async function timed(mcmc: MCMC): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await mcmc.run(key(0), y, sigma);
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}
const fmt = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(2)} s (cpu ${t.cpu.toFixed(2)} s)`;

const seq = new MCMC(eightSchoolsKernel(), opts);
const par = new MCMC(eightSchoolsKernel(), { ...opts, chainMethod: "parallel", kernelModule: spec });
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`before: ${uptime()}`);
const seqCold = await timed(seq);
const parCold = await timed(par);
// Then alternately, so that both see the same drift in the machine's load; the first
// rounds also warm up V8's compilation of the sampler (in the worker's isolate too).
const tSeq: { wall: number; cpu: number }[] = [];
const tPar: { wall: number; cpu: number }[] = [];
for (let r = 0; r < rounds; r++) {
  tSeq.push(await timed(seq));
  tPar.push(await timed(par));
}
const perChain = par.chainResults.map((r) => r.warmupSeconds + r.sampleSeconds + r.postprocessSeconds);
const last = (ts: { wall: number }[]) => ts.slice(Math.floor(ts.length / 2)).map((t) => t.wall);
const best = Math.min(...tSeq.map((t) => t.wall));
console.log(`eight schools NUTS, ${numChains} chains × (${numWarmup} warmup + ${numSamples} samples)`);
console.log(
  `cold (first run of each): sequential ${fmt(seqCold)}, parallel ${fmt(parCold)} (${(seqCold.wall / parCold.wall).toFixed(2)}× faster; starts the worker)`,
);
console.log(`sequential, ${rounds} rounds  ${tSeq.map(fmt).join(", ")}`);
console.log(`parallel,   ${rounds} rounds  ${tPar.map(fmt).join(", ")}`);
console.log(
  `median of the later half: sequential ${median(last(tSeq)).toFixed(2)} s, parallel ${median(last(tPar)).toFixed(2)} s (${(median(last(tSeq)) / median(last(tPar))).toFixed(2)}× faster); the last parallel run's chains took ${perChain.map((t) => t.toFixed(2)).join(", ")} s each`,
);
await closeMcmcWorkers();
let t0 = performance.now();
await prewarmMcmcWorkers(numChains - 1, spec); // this thread runs a chain too
const tWarmup = (performance.now() - t0) / 1000;
const fresh = new MCMC(eightSchoolsKernel(), { ...opts, chainMethod: "parallel", kernelModule: spec });
t0 = performance.now();
const tPre = await timed(fresh);
console.log(
  `parallel, prewarmed ${fmt(tPre)}  (${(best / tPre.wall).toFixed(2)}× the best sequential; prewarmMcmcWorkers(${numChains - 1}) took ${tWarmup.toFixed(2)} s before it)`,
);
console.log(`load average (1 min) ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
console.log(`after:  ${uptime()}`);
await closeMcmcWorkers();
