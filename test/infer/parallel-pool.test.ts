// The parallel-chain worker pool started ahead of a run (issue 22, item 5: a cold parallel
// run paid ~1.3 s of worker start-up): prewarmMcmcWorkers fills the idle pool and resolves
// once the workers have loaded; the next parallel run takes them from the pool (no new
// start-up) and gives the same draws as the sequential run; closeMcmcWorkers empties it.
// Timings live in bench/mcmc-parallel.ts, not here.
import { availableParallelism } from "node:os";
import { key } from "@scribe/core";
import { closeMcmcWorkers, MCMC, prewarmMcmcWorkers } from "@scribe/infer/node";
import { describe, expect, it } from "vitest";
import { makeNuts } from "./mcmc-model-kernels.js";

const arr = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync(), Number);

describe("prewarmed worker pool for parallel chains", () => {
  it("prewarm fills the pool; a parallel run uses it and matches the sequential draws", async () => {
    await closeMcmcWorkers();
    const n = Math.min(2, availableParallelism());
    const spec = { module: new URL("./mcmc-model-kernels.ts", import.meta.url).href, exportName: "makeNuts" };
    // loads the library and imports the kernel's module in each worker
    expect(await prewarmMcmcWorkers(2, spec)).toBe(n);
    expect(await prewarmMcmcWorkers(2)).toBe(n); // already full: nothing new started
    const opts = { numWarmup: 40, numSamples: 30, numChains: 2, progressBar: false } as const;
    const par = new MCMC(makeNuts(), { ...opts, chainMethod: "parallel", kernelModule: spec });
    const t0 = performance.now();
    await par.run(key(5));
    console.log(
      `[parallel-pool] parallel run on prewarmed workers: ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    const seq = new MCMC(makeNuts(), opts);
    await seq.run(key(5));
    expect(arr(par.getSamples().mu!)).toEqual(arr(seq.getSamples().mu!));
    // the workers went back to the pool
    expect(await prewarmMcmcWorkers(0)).toBe(n);
    await closeMcmcWorkers();
    expect(await prewarmMcmcWorkers(0)).toBe(0);
  }, 180_000);

  it("rejects a bad worker count by name", async () => {
    await expect(prewarmMcmcWorkers(-1)).rejects.toThrow(
      /prewarmMcmcWorkers: n must be a non-negative integer/,
    );
  });
});
