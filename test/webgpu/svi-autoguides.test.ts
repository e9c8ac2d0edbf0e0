// SVI on WebGPU against the cpu with the same key (issue 12), one small model per autoguide:
// the same Threefry bits drive the same reparameterized draws, so the loss history and the
// fitted params agree within float32 rounding; the loop reads back once per progress update.
import { type Backend, cpuBackend, key, plate, sample, type Tensor, tensor, withBackend } from "@scribe/core";
import { LogNormal, Normal } from "@scribe/distributions";
import {
  AutoDelta,
  AutoDiagonalNormal,
  AutoLaplaceApproximation,
  AutoLowRankMultivariateNormal,
  AutoMultivariateNormal,
  AutoNormal,
  adam,
  SVI,
  type SVIRunResult,
  TraceELBO,
} from "@scribe/infer";
import { describe, expect, it } from "vitest";
import { compare, values, webgpu } from "./gpu-env.js";

const Y = [1.2, 0.8, 1.9, 0.4, 1.1, 1.6, 0.9, 1.3];
const model = (y: Tensor) => {
  const z = sample("z", new Normal(0, 1));
  const s = sample("s", new LogNormal(0, 1));
  plate("data", 8, () => sample("y", new Normal(z, s), { obs: y }));
};

const GUIDES = {
  AutoNormal: () => new AutoNormal(model),
  AutoDelta: () => new AutoDelta(model),
  AutoDiagonalNormal: () => new AutoDiagonalNormal(model),
  AutoMultivariateNormal: () => new AutoMultivariateNormal(model),
  AutoLowRankMultivariateNormal: () => new AutoLowRankMultivariateNormal(model, { rank: 1 }),
  AutoLaplaceApproximation: () => new AutoLaplaceApproximation(model),
};

/**
 * 10 steps, a progress update every 5 (two readbacks): each guide's kernels compile on the
 * first step, and every further step is CPU time on SwiftShader; a wrong draw or gradient shows
 * from the first step on.
 */
const STEPS = 10;

/** The run with `backend` current when it starts (the loop stays on it). */
function runOn(backend: Backend, make: () => { call(...a: [Tensor]): unknown }): Promise<SVIRunResult> {
  return withBackend(backend, () => {
    const svi = new SVI(model, make(), adam(0.05), new TraceELBO());
    return svi.run(key(11), STEPS, [tensor(Y)], { stableUpdate: true, logEvery: 5, progressBar: false });
  });
}

describe.skipIf(!webgpu)("SVI with each autoguide on WebGPU vs cpu, same key", () => {
  // Bound 1e-3 relative: 10 Adam steps through float32 exp/log (WGSL's a few ulp from
  // correctly rounded) compound rounding differences; a wrong draw or a dropped gradient
  // term differs at O(1e-1) after the first step.
  const RTOL = 1e-3;
  for (const [name, make] of Object.entries(GUIDES))
    it(`${name}: losses and params agree; one readback per progress update`, async () => {
      const counters = (webgpu as unknown as { counters: { reads: number } }).counters;
      const r0 = counters.reads;
      const gpu = await runOn(webgpu!, make);
      const reads = counters.reads - r0;
      const cpu = await runOn(cpuBackend(), make);
      expect(gpu.losses.length).toBe(STEPS);
      expect(compare(gpu.losses, cpu.losses).rel).toBeLessThan(RTOL);
      expect(Object.keys(gpu.params).sort()).toEqual(Object.keys(cpu.params).sort());
      for (const k of Object.keys(cpu.params)) {
        expect(gpu.params[k]!.backend).toBe(webgpu);
        expect(compare(await values(gpu.params[k]!), await values(cpu.params[k]!)).rel, k).toBeLessThan(RTOL);
      }
      // the loop's own readbacks: one per progress update (2), plus the model's deferred
      // argument checks, flushed at those same readbacks
      expect(reads).toBeGreaterThanOrEqual(2);
      expect(gpu.skippedSteps).toBe(cpu.skippedSteps);
    }, 180_000);
});
