// Laplace-EM on WebGPU (Dawn; SwiftShader without a GPU): the same fit as on the cpu (float32
// both). Rounding compounds over Adam steps, so the bound is 1e-3 relative after a few steps
// (as test/webgpu/fit-backends.test.ts); a wrong kernel or gradient differs at O(1e-2) or more.
// Skipped with the printed reason without an adapter.
import { type Backend, fromTypedArray, registerBackendLoader } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { describe, expect, it } from "vitest";
import { compare, webgpu } from "../webgpu/gpu-env.js";
import { simulateLnm, simulatePln } from "./laplace-helpers.js";

if (webgpu) registerBackendLoader("webgpu", async () => webgpu as unknown as Backend);

describe.skipIf(!webgpu)("Laplace-EM on WebGPU vs cpu", () => {
  const models = process.env.SCRIBE_SLOW === "1" ? (["pln", "lnm"] as const) : (["pln"] as const);
  it.each(models)(
    "%s: same losses, globals and Newton diagnostics",
    async (model) => {
      const sim = model === "pln" ? simulatePln(40, 6, 8) : simulateLnm(40, 6, 9, 400);
      const t = fromTypedArray(Float32Array.from(sim.counts), [40, 6]);
      const opts = {
        model,
        inferenceMethod: "laplace",
        rank: 2,
        nSteps: 4,
        learningRate: 0.05,
        progressEvery: 2,
      } as const;
      const gpu = await fit(t, { ...opts, backend: "webgpu" });
      const cpu = await fit(t, { ...opts, backend: "cpu" });
      console.log(
        `laplace ${model} webgpu vs cpu: losses ${Array.from(gpu.results.lossHistory)} vs ${Array.from(cpu.results.lossHistory)}`,
      );
      expect(compare(gpu.results.lossHistory, cpu.results.lossHistory).rel).toBeLessThan(1e-3);
      expect(compare(gpu.results.mu, cpu.results.mu).rel).toBeLessThan(1e-3);
      expect(compare(gpu.results.W, cpu.results.W).rel).toBeLessThan(1e-3);
      expect(compare(gpu.results.d, cpu.results.d).rel).toBeLessThan(1e-3);
      expect(gpu.results.lastEStep.converged).toBe(cpu.results.lastEStep.converged);
    },
    300_000,
  );
});
