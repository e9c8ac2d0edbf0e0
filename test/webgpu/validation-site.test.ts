import {
  type Backend,
  cpuBackend,
  deferCheck,
  isfinite,
  key,
  pendingChecks,
  type SampleMessage,
  sample,
  scope,
  seed,
  tensor,
  trace,
  withBackend,
} from "@scribe/core";
import { MultivariateNormal, Normal, positiveDefinite } from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { webgpu } from "./gpu-env.js";

/**
 * Issue 12's acceptance: validation on WebGPU, where nothing can be read synchronously, gives
 * the CPU's error text (with the sample site's name) at the first readback. Each case runs
 * the same code on both backends and compares the messages; the CPU twin of the model case,
 * with the literal text, is test/distributions/validation-deferred.test.ts.
 */
const SITE_X = "site 'x': Normal: argument 'scale' must satisfy positive, but scale = -1";

/** The message of the error `run` raises at its first readback on `backend`. */
async function firstError(backend: Backend, run: () => Promise<unknown>): Promise<string> {
  try {
    await withBackend(backend, run);
  } catch (e) {
    return (e as Error).message;
  }
  return "(no error)";
}

describe.skipIf(!webgpu)("validation on WebGPU: the CPU's message, at the first readback", () => {
  const gpu = webgpu!;

  for (const [label, scale] of [
    ["a number", () => -1],
    ["a scalar tensor", () => tensor(-1)],
  ] as const) {
    it(`sample("x", new Normal(0, -1)) with ${label} names the site`, { timeout: 120_000 }, async () => {
      const model = () => {
        const z = sample("z", new Normal(0, 1));
        return sample("x", new Normal(0, scale()), { obs: z });
      };
      const run = async () => {
        const tr = trace(seed(model, key(0))).getTrace(); // no readback: nothing thrown here
        expect(pendingChecks()).toBeGreaterThan(0);
        return tr.get("z")!.value!.data();
      };
      const onGpu = await firstError(gpu, run);
      expect(onGpu).toBe(SITE_X);
      expect(await firstError(cpuBackend(), run)).toBe(onGpu);
      expect(pendingChecks()).toBe(0);
    });
  }

  it("an index and a float32 value: scale[2] = -3 at site 'obs'", { timeout: 120_000 }, async () => {
    const run = async () => {
      const model = () =>
        sample("obs", new Normal(tensor([0, 0, 0]), tensor([1, 2, -3])), { obs: tensor([0.5, 1, 2]) });
      return trace(model).getTrace().get("obs")!.value!.data();
    };
    const onGpu = await firstError(gpu, run);
    expect(onGpu).toBe("site 'obs': Normal: argument 'scale' must satisfy positive, but scale[2] = -3");
    expect(await firstError(cpuBackend(), run)).toBe(onGpu);
  });

  it("outside a model the CPU throws at once and WebGPU at the readback, with one text", {
    timeout: 120_000,
  }, async () => {
    const run = async () =>
      new Normal(tensor([0, 1]), tensor([2, -0.5]))
        .logProb(tensor([0, 0]))
        .sum()
        .data();
    const onGpu = await firstError(gpu, run);
    expect(onGpu).toBe("Normal: argument 'scale' must satisfy positive, but scale[1] = -0.5");
    expect(await firstError(cpuBackend(), run)).toBe(onGpu);
    // The covariance check (Cholesky pivots as tensor ops) runs on the device too.
    const mvn = async () =>
      new MultivariateNormal(tensor([0, 0]), { covarianceMatrix: tensor([1, 2, 2, 1], { shape: [2, 2] }) })
        .logProb(tensor([0, 0]))
        .data();
    const mvnGpu = await firstError(gpu, mvn);
    expect(mvnGpu).toBe(
      "MultivariateNormal: argument 'covarianceMatrix' must satisfy positiveDefinite, but covarianceMatrix = [1, 2, 2, 1]",
    );
    expect(await firstError(cpuBackend(), mvn)).toBe(mvnGpu);
  });

  it("positiveDefinite agrees with the CPU on a batch of matrices", { timeout: 120_000 }, async () => {
    const mats = [2, 1, 1, 2, 1, 2, 2, 1, 1, 0, 0, 1e-3, -1, 0, 0, 1];
    const check = (b: Backend) =>
      withBackend(b, () => positiveDefinite.check(tensor(mats, { shape: [4, 2, 2] })).data());
    expect(Array.from(await check(gpu))).toEqual([1, 0, 1, 0]);
    expect(Array.from(await check(gpu))).toEqual(Array.from(await check(cpuBackend())));
  });

  it("valid models and passing checks leave no buffer behind on the device", {
    timeout: 120_000,
  }, async () => {
    const model = () => sample("x", new Normal(tensor([0, 1]), tensor([1, 2])), { obs: tensor([0.3, 0.4]) });
    const before = gpu.liveBuffers();
    for (let i = 0; i < 3; i++) {
      const v = withBackend(gpu, () =>
        scope(() => {
          const site = trace(model).getTrace().get("x") as SampleMessage;
          const lp = site.fn.logProb(site.value!).sum();
          deferCheck(isfinite(lp), (f) => `step ${i}: the log-density is ${f.values[0]![0]}`, [lp]);
          return lp;
        }),
      );
      expect(Number.isFinite((await v.data())[0])).toBe(true);
      v.dispose();
    }
    expect(pendingChecks()).toBe(0);
    expect(gpu.liveBuffers()).toBe(before);
  });
});
