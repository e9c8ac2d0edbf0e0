// fit() on WebGPU against the cpu with the same seed (issue 12): nbdm on a small simulated
// matrix in the default run (the seeded fast subset). SwiftShader compiles every distinct
// shader of a model once, and that is nearly all of a case's time: measured on the loaded
// 2-core machine, the first nbdm fit compiled 58 pipelines (136 s at load 16), nbvcp 36 more
// (89 s), while a further 10-step fit took 2–3 s; so the default run fits the model with the
// fewest shaders for a few steps, with the same checks. nbvcp, zinbvcp and twostate (and 30
// steps) run with SCRIBE_SLOW=1 (the whole file took 208 s on the loaded 2-core machine), and
// (SCRIBE_SLOW=1) nbvcp for 200 steps on the bundled PBMC data, per-gene posterior means
// compared. The same Threefry bits drive the
// same draws, so the runs differ only by float32 rounding (WGSL transcendental functions and
// reductions summed in another order).
import { type Backend, registerBackendLoader, type Tensor } from "@scribe/core";
import { type FitOptions, fit } from "@scribe/models";
import { read10x } from "@scribe/models/io/node.js";
import { describe, expect, it } from "vitest";
import { compare, webgpu } from "./gpu-env.js";

// fit({ backend: "webgpu" }) asks the registry for "webgpu": hand it the suites' device.
if (webgpu) registerBackendLoader("webgpu", async () => webgpu as unknown as Backend);

const C = 24;
const G = 6;
function counts(): Float64Array {
  const out = new Float64Array(C * G);
  let s = 11;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = ((s >> 8) % 7) * ((i % G) + 1) > 12 ? (s >> 12) % 9 : (s >> 16) % 3;
  }
  return out;
}

async function bothBackends(data: Parameters<typeof fit>[0], opts: FitOptions) {
  const gpu = await fit(data, { ...opts, backend: "webgpu" });
  const cpu = await fit(data, { ...opts, backend: "cpu" });
  return { gpu, cpu };
}

function mapValues(m: Record<string, Tensor>, names: string[]): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const n of names) if (m[n]) out[n] = Float64Array.from(m[n]!.dataSync());
  return out;
}

describe.skipIf(!webgpu)("fit() on WebGPU vs cpu, same seed", async () => {
  const { createAnnData } = await import("@scribe/models/io/index.js");
  const adata = createAnnData({ X: { format: "dense", data: counts(), shape: [C, G] } });
  // Bound 1e-3 relative on the fitted params after 10–30 Adam steps (float32 rounding compounds
  // step by step); a wrong draw or gradient differs at O(1e-2) or more.
  const RTOL = 1e-3;
  const slow = process.env.SCRIBE_SLOW === "1";
  // 4 steps in the default run already reach every kernel of the step, and with a progress
  // update every 2 steps the loss history is read back in two batches
  const steps = slow ? 30 : 4;
  const progressEvery = slow ? 10 : 2;
  const cases: [string, FitOptions, boolean][] = [
    ["nbdm", { model: "nbdm" }, true],
    ["nbvcp", { model: "nbvcp" }, slow],
    ["zinbvcp", { model: "zinbvcp" }, slow],
    ["twostate", { model: "twostate", parameterization: "natural", nQuadNodes: 16 }, slow],
  ];
  for (const [name, opts, run] of cases)
    it.skipIf(!run)(
      `${name}: the same loss history and params (results on the cpu)`,
      async () => {
        const { gpu, cpu } = await bothBackends(adata, {
          ...opts,
          nSteps: steps,
          learningRate: 0.05,
          progressEvery,
          seed: 3,
        });
        expect(gpu.steps).toBe(steps);
        expect(gpu.results.lossHistory.length).toBe(steps);
        expect(compare(gpu.results.lossHistory, cpu.results.lossHistory).rel).toBeLessThan(RTOL);
        for (const [k, t] of Object.entries(cpu.results.params)) {
          const g = gpu.results.params[k]!;
          expect(g.backend, k).toBe(t.backend);
          expect(compare(g.dataSync(), t.dataSync()).rel, k).toBeLessThan(RTOL);
        }
      },
      600_000,
    );

  // Acceptance of issue 12: nbvcp, 200 steps on PBMC (283 cells × 914 genes); slow on
  // SwiftShader (about 1 s per step on 2 cores), so behind SCRIBE_SLOW.
  it.skipIf(process.env.SCRIBE_SLOW !== "1")(
    "PBMC nbvcp, 200 steps: per-gene posterior means within 1e-2 relative",
    async () => {
      const pbmc = read10x("examples/data/pbmc3k_sctransform");
      const { gpu, cpu } = await bothBackends(pbmc, {
        model: "nbvcp",
        nSteps: 200,
        learningRate: 0.01,
        batchSize: null,
        seed: 42,
      });
      const names = ["r", "mu", "p"];
      const g = mapValues(gpu.results.getMap(), names);
      const c = mapValues(cpu.results.getMap(), names);
      for (const n of Object.keys(c)) expect(compare(g[n]!, c[n]!).rel, n).toBeLessThan(1e-2);
    },
    900_000,
  );
});
