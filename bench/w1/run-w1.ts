import { availableParallelism } from "node:os";
import { disableThreads, enableThreads, useBackend } from "@scribe/core/node";
import { argValue, printTable, timeIt } from "../harness.js";
import { makeW1Data } from "./data.js";
import { type W1Result, w1CountAware, w1Straightforward, w1Tuned } from "./handwritten.js";
import { makeOursW1, makeOursW1Async } from "./ours.js";
import type { PeerModule } from "./peer.js";

/** Largest relative difference of a result's gradients from the reference. */
function maxRelDiff(
  ref: W1Result,
  got: { gLogMu: ArrayLike<number>; gLogTheta: ArrayLike<number>; gLogLib: ArrayLike<number> },
): number {
  let worst = 0;
  for (const k of ["gLogMu", "gLogTheta", "gLogLib"] as const) {
    const a = ref[k];
    const b = got[k];
    for (let i = 0; i < a.length; i++)
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
  }
  return worst;
}

async function loadPeer(file: string): Promise<PeerModule | null> {
  try {
    return (await import(file)) as PeerModule;
  } catch {
    return null;
  }
}

/**
 * W1 (BENCHMARKS.md): NB log-likelihood and its gradient over 2000 × 5000 counts through
 * `valueAndGrad`. Prints ours (float32, float64), hand-written single loops and the peers,
 * all from this run, as ratios to our float32 figure.
 */
export async function runW1(args: string[]): Promise<void> {
  const runs = Number(argValue(args, "--runs") ?? 5);
  const N = Number(argValue(args, "--cells") ?? 2000);
  const G = Number(argValue(args, "--genes") ?? 5000);
  const backend = argValue(args, "--backend") ?? "cpu";
  const peers = !args.includes("--no-peers");
  console.log(`W1: N = ${N} cells × G = ${G} genes, median of ${runs} runs after a warm-up`);
  const d = makeW1Data(N, G, 0);
  let zeros = 0;
  for (const v of d.y) if (v === 0) zeros++;
  console.log(`data: ${((100 * zeros) / d.y.length).toFixed(1)} % zeros`);
  const ref = w1CountAware(d);
  const rows: { name: string; ms: number | null; note?: string }[] = [];
  const threads = Math.max(2, availableParallelism());
  for (const [dtype, nThreads] of [
    ["float32", 1],
    ["float64", 1],
    ["float32", threads],
  ] as const) {
    if (nThreads > 1) enableThreads(nThreads);
    const f = makeOursW1(d, dtype);
    const r = f();
    const t = await timeIt(f, { runs });
    disableThreads();
    rows.push({
      name: `scribe valueAndGrad, ${dtype}, cpu, ${nThreads} thread${nThreads > 1 ? "s" : ""}`,
      ms: t.medianMs,
      note: `value rel err ${(Math.abs(r.value - ref.value) / Math.abs(ref.value)).toExponential(1)}, grad ${maxRelDiff(ref, r).toExponential(1)}`,
    });
  }
  // The distribution layer against the bare kernel, interleaved run by run and taking each
  // one's minimum, so the ratio is not the machine's load changing between rows (issue 12:
  // validation on must cost at most 1.05x the kernel).
  const layer = {
    kernel: makeOursW1(d, "float32"),
    off: makeOursW1(d, "float32", "distribution"),
    on: makeOursW1(d, "float32", "validated"),
  };
  const best = { kernel: Infinity, off: Infinity, on: Infinity };
  for (const f of Object.values(layer)) f();
  for (let r = 0; r < runs; r++)
    for (const k of ["kernel", "off", "on"] as const) {
      const t0 = performance.now();
      layer[k]();
      best[k] = Math.min(best[k], performance.now() - t0);
    }
  for (const k of ["off", "on"] as const)
    rows.push({
      name: `scribe NegativeBinomial2.logProb, float32, validation ${k}`,
      ms: best[k],
      note: `${(best[k] / best.kernel).toFixed(3)}x the bare kernel (${best.kernel.toFixed(1)} ms), min of ${runs} interleaved runs`,
    });
  if (backend === "webgpu") {
    const name = "scribe valueAndGrad, float32, webgpu";
    try {
      const gpu = await useBackend("webgpu");
      const f = makeOursW1Async(d);
      const r = await f();
      const counters = (gpu as { counters?: { dispatches: number; submits: number; reads: number } })
        .counters;
      const before = counters ? { ...counters } : null;
      await f();
      const per =
        counters && before
          ? `${counters.dispatches - before.dispatches} compute passes, ${counters.submits - before.submits} submits, ${counters.reads - before.reads} readbacks per evaluation`
          : "";
      const t = await timeIt(f, { runs });
      rows.push({
        name,
        ms: t.medianMs,
        note: `${gpu.name} (${(gpu as { ctx?: { adapterInfo?: string } }).ctx?.adapterInfo ?? "adapter unknown"}); ${per}; grad ${maxRelDiff(ref, r).toExponential(1)}`,
      });
    } catch (e) {
      rows.push({ name, ms: null, note: `unavailable: ${(e as Error).message.split("\n")[0]}` });
    } finally {
      await useBackend("cpu");
    }
  }
  rows.push({
    name: "hand-written JS, straightforward float64, 1 thread",
    ms: (await timeIt(() => w1Straightforward(d), { runs: Math.min(runs, 3) })).medianMs,
  });
  rows.push({
    name: "hand-written JS, count-aware float64, 1 thread",
    ms: (await timeIt(() => w1CountAware(d), { runs })).medianMs,
  });
  rows.push({
    name: "hand-written JS, tuned single loop (the bar), 1 thread",
    ms: (await timeIt(() => w1Tuned(d), { runs })).medianMs,
    note: "issue 13's target: scribe float32 within 1.1x on 1 thread, at or below on 2 (bench/w1/compare.ts interleaves them)",
  });
  if (peers) {
    for (const [file, label] of [
      ["./peer-jaxjs.js", "jax-js"],
      ["./peer-tfjs.js", "TensorFlow.js wasm"],
    ] as const) {
      const mod = await loadPeer(file);
      if (!mod) {
        rows.push({ name: label, ms: null, note: "peer implementation not present" });
        continue;
      }
      const res = await mod.runPeer(d, { runs: Math.min(runs, 3) });
      rows.push({
        name: res.name,
        ms: res.ms,
        note: `${res.note}${res.ms !== null ? `; grad rel err ${maxRelDiff(ref, res).toExponential(1)}` : ""}`,
      });
    }
  }
  printTable(
    "W1 — NB log-likelihood + gradient (ms per evaluation)",
    rows,
    "scribe valueAndGrad, float32, cpu, 1 thread",
  );
  console.log(
    "\nPeers measured elsewhere on this machine class (BENCHMARKS.md): PyTorch float32 1168 ms (1 thread) / 903 ms (2 threads).",
  );
}
