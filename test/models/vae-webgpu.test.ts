// The VAE on WebGPU (Dawn; SwiftShader without a GPU): the same seed gives the same loss
// history and fitted params as on the cpu (float32 both; bound 1e-3 relative after a few Adam
// steps, as test/webgpu/fit-backends.test.ts: rounding compounds step by step, a wrong kernel
// or gradient differs at O(1e-2) or more). Skipped with the printed reason without an adapter.
import { type Backend, fromTypedArray, registerBackendLoader } from "@scribe/core";
import { fit } from "@scribe/models/fit.js";
import { describe, expect, it } from "vitest";
import { compare, webgpu } from "../webgpu/gpu-env.js";
import { simulateLatentNB } from "./vae-helpers.js";

if (webgpu) registerBackendLoader("webgpu", async () => webgpu as unknown as Backend);

describe.skipIf(!webgpu)("VAE on WebGPU vs cpu, same seed", () => {
  // default run: the scVI form (zinb); the SCRIBE form (nbvcp) behind SCRIBE_SLOW (≈ 40 s of shader compiles on SwiftShader)
  const models = process.env.SCRIBE_SLOW === "1" ? (["zinb", "nbvcp"] as const) : (["zinb"] as const);
  it.each(models)(
    "%s: same losses and params",
    async (model) => {
      const { counts } = simulateLatentNB(32, 8, 5);
      const opts = {
        inferenceMethod: "vae" as const,
        model,
        latentDim: 2,
        encoder: [8],
        decoder: [8],
        nSteps: 6,
        batchSize: 16,
        learningRate: 0.01,
        klWarmupSteps: 4,
        progressEvery: 3,
        ...(model === "zinb" ? { decoderForm: "scvi" as const } : {}),
      };
      const t = fromTypedArray(counts, [32, 8]);
      const gpu = await fit(t, { ...opts, backend: "webgpu" });
      const cpu = await fit(t, { ...opts, backend: "cpu" });
      expect(gpu.steps).toBe(6);
      expect(compare(gpu.results.lossHistory, cpu.results.lossHistory).rel).toBeLessThan(1e-3);
      for (const [k, c] of Object.entries(cpu.results.params)) {
        const g = gpu.results.params[k]!;
        expect(compare(await g.data(), await c.data()).rel, k).toBeLessThan(1e-3);
      }
    },
    600_000,
  );
});
