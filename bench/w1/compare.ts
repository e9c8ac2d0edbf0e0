import { disableThreads, enableThreads } from "@scribe/core/node";
import { setHoisting } from "../../packages/core/src/backend/cpu/codegen.js";
import { makeW1Data } from "./data.js";
import { w1CountAware, w1Tuned } from "./handwritten.js";
import { makeOursW1 } from "./ours.js";

/**
 * W1 against its bar, interleaved so a shared machine's load hits every row alike: our fused
 * valueAndGrad (float32, 1 and 2 threads; 1 thread also with per-argument hoisting off) and
 * the tuned hand loop: minimum and median of `--runs` rounds, each row's ratio to the tuned loop's.
 * `npx tsx bench/w1/compare.ts [--runs 7] [--cells 2000] [--genes 5000] [--one-thread]`.
 * Figures, with date, machine and load: bench/README.md, "W1 fused NB kernel".
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
// Every round's time per row: the summary gives the minimum and the median of the rounds.
const wall = { ours1: [] as number[], ours2: [] as number[], tuned: [] as number[] };
// One-thread rows also in process CPU time: on a machine other jobs load, the wall time of a
// single-threaded loop includes the time it waited for a core; its CPU time does not.
const cpu = { ours1: [] as number[], tuned: [] as number[], unhoisted: [] as number[] };
const time = (f: () => unknown) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const elapsed = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall: elapsed, cpu: (c.user + c.system) / 1000 };
};
for (let r = 0; r < runs; r++) {
  const t = time(() => w1Tuned(d));
  wall.tuned.push(t.wall);
  cpu.tuned.push(t.cpu);
  const o = time(ours1);
  wall.ours1.push(o.wall);
  cpu.ours1.push(o.cpu);
  // The same evaluation with per-argument hoisting off (the loop planner's A/B).
  setHoisting(false);
  cpu.unhoisted.push(time(ours1).cpu);
  setHoisting(true);
}
// Two threads after the one-thread rounds, with one pool for all of them: enableThreads starts
// fresh workers (each loads its modules and compiles the kernel on its first call), which a
// round timed right after enabling would count as the evaluation's cost.
if (twoThreads) {
  enableThreads(2);
  ours2();
  for (let r = 0; r < runs; r++) wall.ours2.push(time(ours2).wall);
  disableThreads();
}
const median = (a: readonly number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** "min ms (ratio) / median ms (ratio)" of a row against the tuned loop's row. */
const row = (a: readonly number[], bar: readonly number[]) =>
  `${Math.min(...a).toFixed(1)} ms (${(Math.min(...a) / Math.min(...bar)).toFixed(2)}×) / ${median(a).toFixed(1)} ms (${(median(a) / median(bar)).toFixed(2)}×)`;
const tunedWall = `${Math.min(...wall.tuned).toFixed(1)} / ${median(wall.tuned).toFixed(1)} ms`;
const two = twoThreads ? `; 2 threads ${row(wall.ours2, wall.tuned)}` : "";
console.log(
  `W1 wall, min / median of ${runs}: tuned loop ${tunedWall}; scribe float32 1 thread ${row(wall.ours1, wall.tuned)}${two}`,
);
console.log(
  `W1 process CPU, 1 thread, min / median of ${runs}: tuned loop ${Math.min(...cpu.tuned).toFixed(1)} / ${median(cpu.tuned).toFixed(1)} ms; scribe float32 ${row(cpu.ours1, cpu.tuned)}; hoisting off ${row(cpu.unhoisted, cpu.tuned)}`,
);
