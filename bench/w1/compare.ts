import { disableThreads, enableThreads } from "@scribe/core/node";
import { setHoisting } from "../../packages/core/src/backend/cpu/codegen.js";
import { makeW1Data } from "./data.js";
import { w1CountAware, w1Tuned } from "./handwritten.js";
import { makeOursW1 } from "./ours.js";

/**
 * W1 against its bar, interleaved so a shared machine's load hits every row alike: our fused
 * valueAndGrad (float32, 1 and 2 threads; 1 thread also with per-argument hoisting off) and
 * the tuned hand loop, minimum of `--runs` rounds.
 * `npx tsx bench/w1/compare.ts [--runs 7] [--cells 2000] [--genes 5000] [--one-thread]`.
 */
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg("--runs", 7);
const d = makeW1Data(arg("--cells", 2000), arg("--genes", 5000), 0);
const ref = w1CountAware(d);
const tuned = w1Tuned(d);
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
  return w;
};
console.log(
  `tuned vs count-aware: value ${Math.abs(tuned.value - ref.value) / Math.abs(ref.value)}, grads ${Math.max(relDiff(ref.gLogMu, tuned.gLogMu), relDiff(ref.gLogTheta, tuned.gLogTheta), relDiff(ref.gLogLib, tuned.gLogLib))}`,
);
const twoThreads = !process.argv.includes("--one-thread");
const ours1 = makeOursW1(d, "float32");
ours1();
if (twoThreads) enableThreads(2);
const ours2 = makeOursW1(d, "float32");
ours2();
disableThreads();
const best = { ours1: Infinity, ours2: Infinity, tuned: Infinity };
// One-thread rows also in process CPU time: on a machine other jobs load, the wall time of a
// single-threaded loop includes the time it waited for a core; its CPU time does not.
const cpu = { ours1: Infinity, tuned: Infinity, unhoisted: Infinity };
const time = (f: () => unknown) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
};
for (let r = 0; r < runs; r++) {
  const t = time(() => w1Tuned(d));
  best.tuned = Math.min(best.tuned, t.wall);
  cpu.tuned = Math.min(cpu.tuned, t.cpu);
  const o = time(ours1);
  best.ours1 = Math.min(best.ours1, o.wall);
  cpu.ours1 = Math.min(cpu.ours1, o.cpu);
  // The same evaluation with per-argument hoisting off (the loop planner's A/B).
  setHoisting(false);
  cpu.unhoisted = Math.min(cpu.unhoisted, time(ours1).cpu);
  setHoisting(true);
  if (!twoThreads) continue;
  enableThreads(2);
  best.ours2 = Math.min(best.ours2, time(ours2).wall);
  disableThreads();
}
const two = twoThreads
  ? `, 2 threads ${best.ours2.toFixed(1)} ms (${(best.ours2 / best.tuned).toFixed(2)}×)`
  : "";
console.log(
  `W1 wall, min of ${runs}: tuned loop ${best.tuned.toFixed(1)} ms; scribe float32 1 thread ${best.ours1.toFixed(1)} ms (${(best.ours1 / best.tuned).toFixed(2)}× the bar)${two}`,
);
console.log(
  `W1 process CPU, 1 thread, min of ${runs}: tuned loop ${cpu.tuned.toFixed(1)} ms; scribe float32 ${cpu.ours1.toFixed(1)} ms (${(cpu.ours1 / cpu.tuned).toFixed(2)}× the bar); hoisting off ${cpu.unhoisted.toFixed(1)} ms (${(cpu.unhoisted / cpu.tuned).toFixed(2)}×)`,
);
