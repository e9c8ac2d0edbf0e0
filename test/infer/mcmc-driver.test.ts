import { key, liveBuffers, type Tensor } from "@scribe/core";
import { MCMC, NUTS, type ProgressInfo } from "@scribe/infer";
import { prewarmMcmcWorkers } from "@scribe/infer/node";
import { describe, expect, it } from "vitest";
import { makeKernel } from "./mcmc-parallel-kernel.js";

describe("MCMC driver", () => {
  it("thinning, extra fields, progress callback and a summary", async () => {
    const seen: ProgressInfo[] = [];
    const mcmc = new MCMC(makeKernel(3), {
      numWarmup: 50,
      numSamples: 40,
      numChains: 2,
      thinning: 3,
      progressBar: false,
      onProgress: (p) => seen.push(p),
      progressEvery: 10,
    });
    await mcmc.run(key(0));
    expect(mcmc.getSamples().params!.shape).toEqual([80, 2]);
    const ex = mcmc.getExtraFields(true);
    expect(Object.keys(ex).sort()).toEqual([
      "acceptProb",
      "diverging",
      "energy",
      "numSteps",
      "potentialEnergy",
      "stepSize",
      "treeDepth",
    ]);
    expect(ex.stepSize.shape).toEqual([2, 40]);
    expect(
      seen
        .filter((p) => p.chain === 0)
        .map((p) => p.iteration)
        .at(-1),
    ).toBe(170);
    expect(seen.some((p) => p.phase === "warmup") && seen.some((p) => p.phase === "sample")).toBe(true);
    expect(mcmc.summary().map((r) => r.name)).toEqual(["params[0]", "params[1]"]);
  });

  it("is reproducible from the key, and memory stays flat with a tensor potential", async () => {
    const run = async () => {
      const m = new MCMC(new NUTS({ potentialFn: (x: Tensor) => x.square().sum().mul(0.5), dim: 2 }), {
        numWarmup: 30,
        numSamples: 30,
        progressBar: false,
      });
      await m.run(key(7));
      return m.chainResults[0]!.positions;
    };
    const a = await run();
    const before = liveBuffers();
    const b = await run();
    expect(liveBuffers()).toBe(before);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it("rejects bad options with clear errors", () => {
    expect(() => new MCMC(makeKernel(1), { numWarmup: -1, numSamples: 10 })).toThrow(/numWarmup/);
    expect(() => new MCMC(makeKernel(1), { numWarmup: 1, numSamples: 10, chainMethod: "parallel" })).toThrow(
      /kernelModule/,
    );
    expect(() => new NUTS({ dim: 2 })).toThrow(/exactly one/);
    expect(() => new NUTS({ potentialFnGrad: () => 0, maxTreeDepth: 0 })).toThrow(/maxTreeDepth/);
  });

  it("cannot start from a point where the potential is not finite", async () => {
    const m = new MCMC(new NUTS({ potentialFnGrad: () => Number.NaN, dim: 1 }), {
      numWarmup: 1,
      numSamples: 1,
      progressBar: false,
    });
    await expect(m.run(key(0))).rejects.toThrow(/valid initial parameters/);
  });

  it("runs chains in parallel on worker threads, matching the sequential draws", async () => {
    const spec = {
      module: new URL("./mcmc-parallel-kernel.ts", import.meta.url).href,
      exportName: "makeKernel",
      factoryArgs: [3],
    };
    const opts = { numWarmup: 100, numSamples: 100, numChains: 2, progressBar: false } as const;
    // a loaded worker takes a chain at once (a cold one would still be loading when this
    // thread had run every chain itself, and the worker path would go untested)
    await prewarmMcmcWorkers(1, spec);
    const par = new MCMC(makeKernel(3), { ...opts, chainMethod: "parallel", kernelModule: spec });
    await par.run(key(9));
    const seq = new MCMC(makeKernel(3), opts);
    await seq.run(key(9));
    expect(Array.from(par.chainResults[1]!.positions)).toEqual(Array.from(seq.chainResults[1]!.positions));
  }, 180_000);
});
