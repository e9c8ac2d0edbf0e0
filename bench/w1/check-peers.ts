/**
 * Check the W1 peers (jax-js, TensorFlow.js) against the hand-written float64 reference
 * (`w1CountAware`): accuracy on a small instance and at full size, and timing at full size.
 *
 *   npx tsx bench/w1/check-peers.ts [--small-only] [--runs 3]
 *
 * jax-js uses its worker pool unless JAXJS_WORKERS=0 (fixed per process).
 */
import { makeW1Data, type W1Data } from "./data.js";
import { w1CountAware } from "./handwritten.js";
import { runPeer as runJax } from "./peer-jaxjs.js";
import { runPeer as runTf } from "./peer-tfjs.js";

type Peer = { label: string; run: typeof runTf };
const peers: Peer[] = [
  { label: "jax-js", run: runJax },
  { label: "tfjs", run: runTf },
];

const args = process.argv.slice(2);
const smallOnly = args.includes("--small-only");
const runsArg = args.indexOf("--runs");
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;

/** Normwise relative error max|a − b| / max|b|, and the largest elementwise |a − b| / |b| over
 * entries with |b| ≥ 1 % of max|b| (to keep near-zero gradients out of the ratio). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): { norm: number; elem: number } {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < b.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
  }
  let elem = 0;
  for (let i = 0; i < b.length; i++) {
    const r = Math.abs(b[i]!);
    if (r >= 0.01 * maxRef) elem = Math.max(elem, Math.abs(a[i]! - b[i]!) / r);
  }
  return { norm: maxDiff / (maxRef || 1), elem };
}

const fmt = (x: number) => x.toExponential(2);

async function accuracy(d: W1Data, label: string, runsHere: number) {
  const ref = w1CountAware(d);
  console.log(`\n== ${label}: N = ${d.N}, G = ${d.G}; reference value (float64) = ${ref.value.toFixed(3)}`);
  console.log(
    "peer      ms        value rel err   gLogMu norm/elem      gLogTheta norm/elem   gLogLib norm/elem",
  );
  const results = [];
  for (const p of peers) {
    const r = await p.run(d, { runs: runsHere });
    results.push(r);
    if (r.ms === null) {
      console.log(`${p.label.padEnd(9)} FAILED: ${r.note}`);
      continue;
    }
    const ev = Math.abs(r.value - ref.value) / Math.abs(ref.value);
    const m = relErr(r.gLogMu, ref.gLogMu);
    const t = relErr(r.gLogTheta, ref.gLogTheta);
    const l = relErr(r.gLogLib, ref.gLogLib);
    console.log(
      `${p.label.padEnd(9)} ${r.ms.toFixed(1).padStart(8)}  ${fmt(ev).padStart(13)}   ` +
        `${fmt(m.norm)} / ${fmt(m.elem)}   ${fmt(t.norm)} / ${fmt(t.elem)}   ${fmt(l.norm)} / ${fmt(l.elem)}`,
    );
  }
  return results;
}

await accuracy(makeW1Data(200, 500, 0), "small instance", 2);
if (!smallOnly) {
  const t0 = performance.now();
  const d = makeW1Data(2000, 5000, 0);
  console.log(`\n(full-size data generated in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const res = await accuracy(d, `full size, median of ${runs} runs after 1 warm-up`, runs);
  console.log("");
  for (const r of res)
    console.log(`${r.name}: ${r.ms === null ? "n/a" : `${r.ms.toFixed(0)} ms`}\n  note: ${r.note}`);
}
