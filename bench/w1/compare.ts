import { disableThreads, enableThreads } from "@scribe/core/node";
import { makeW1Data } from "./data.js";
import { w1CountAware, w1Tuned } from "./handwritten.js";
import { makeOursW1 } from "./ours.js";

/**
 * W1 against its bar, interleaved so a shared machine's load hits every row alike: our fused
 * valueAndGrad (float32, 1 and 2 threads) and the tuned hand loop, minimum of `--runs` rounds.
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
const time = (f: () => unknown) => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
for (let r = 0; r < runs; r++) {
  best.tuned = Math.min(
    best.tuned,
    time(() => w1Tuned(d)),
  );
  best.ours1 = Math.min(best.ours1, time(ours1));
  if (!twoThreads) continue;
  enableThreads(2);
  best.ours2 = Math.min(best.ours2, time(ours2));
  disableThreads();
}
console.log(
  `W1 min of ${runs}: tuned loop ${best.tuned.toFixed(1)} ms; scribe float32 1 thread ${best.ours1.toFixed(1)} ms (${(best.ours1 / best.tuned).toFixed(2)}× the bar), 2 threads ${best.ours2.toFixed(1)} ms (${(best.ours2 / best.tuned).toFixed(2)}×)`,
);
