// The logistic-normal VAE on WebGPU (Dawn; SwiftShader without a GPU): PLN with the library
// offset, 100 cells × 10 genes, 20 steps: the same key gives the same loss history and fitted
// params as on the cpu (float32 both). Rounding compounds over the Adam steps, so the bound
// is 1e-3 relative (as test/models/vae-webgpu.test.ts and test/webgpu/fit-backends.test.ts);
// a wrong kernel, gradient or noise draw differs at O(1e-2) or more. Skipped with the printed
// reason without an adapter, except under CI=true, where gpu-env.ts fails it.
import { type Backend, fromTypedArray, registerBackendLoader } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { describe, expect, it } from "vitest";
import { compare, webgpu } from "../webgpu/gpu-env.js";
import { simulatePln } from "./laplace-helpers.js";

if (webgpu) registerBackendLoader("webgpu", async () => webgpu as unknown as Backend);

describe.skipIf(!webgpu)("logistic-normal VAE on WebGPU vs cpu, same key", () => {
  it("pln with the log-library offset: same losses and params", async () => {
    const sim = simulatePln(100, 10, 61);
    const t = fromTypedArray(Float32Array.from(sim.counts), [100, 10]);
    const opts = {
      inferenceMethod: "vae",
      model: "pln",
      logOffset: "log-library",
      latentDim: 2,
      encoder: [8],
      nSteps: 20,
      batchSize: 50,
      learningRate: 0.01,
      klWarmupSteps: 10,
      progressEvery: 5,
      validation: false,
      seed: 3,
    } as const;
    const gpu = await fit(t, { ...opts, backend: "webgpu" });
    const cpu = await fit(t, { ...opts, backend: "cpu" });
    const losses = compare(gpu.results.lossHistory, cpu.results.lossHistory).rel;
    console.log(
      `pln VAE webgpu vs cpu: losses ${Array.from(gpu.results.lossHistory.slice(0, 3))}… vs ${Array.from(cpu.results.lossHistory.slice(0, 3))}…, largest relative difference ${losses}`,
    );
    expect(gpu.steps).toBe(20);
    expect(gpu.results.lossHistory.length).toBe(20);
    expect(losses).toBeLessThan(1e-3);
    for (const [k, c] of Object.entries(cpu.results.params)) {
      const g = gpu.results.params[k]!;
      expect(compare(await g.data(), await c.data()).rel, k).toBeLessThan(1e-3);
    }
  }, 600_000);
});
