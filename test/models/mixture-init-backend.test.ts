/**
 * The mixture start (k-means on the counts, models/mixture-init.ts) runs on the host and the
 * cpu backend whatever the current backend is. It awaits the counts' readback, so a caller's
 * `withBackend(cpuBackend(), …)` around it was left at that await and the k-means draws and
 * the result went to the current backend (fit.ts did exactly that). Here the current backend
 * is a recording wrapper of the cpu backend, installed as "webgpu": nothing may reach it.
 */
import { cpuBackend, registerBackendLoader, tensor, useBackend, withBackend } from "@scribe/core";
import { backendLoader } from "@scribe/core/backend/registry.js";
import { componentInit } from "@scribe/models/models/mixture-init.js";
import { afterAll, describe, expect, it } from "vitest";

/** The cpu backend with every method call recorded by name. */
function recordingBackend(calls: string[]): ReturnType<typeof cpuBackend> {
  const cpu = cpuBackend();
  return new Proxy(cpu, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe("componentInit under another current backend", () => {
  const previousLoader = backendLoader("webgpu");
  afterAll(async () => {
    await useBackend("cpu");
    if (previousLoader) registerBackendLoader("webgpu", previousLoader);
  });

  it("draws, clusters and returns on the cpu; the current backend is never used", async () => {
    // two clear clusters of 10 cells over 4 genes, built on the cpu
    const rows: number[] = [];
    for (let c = 0; c < 20; c++) rows.push(...(c < 10 ? [20, 1, 20, 1] : [1, 20, 1, 20]));
    const counts = withBackend(cpuBackend(), () => tensor(Float32Array.from(rows), { shape: [20, 4] }));
    const reference = await componentInit({ nComponents: 2, variableCapture: false }, counts, 3);

    const calls: string[] = [];
    const recording = recordingBackend(calls);
    registerBackendLoader("webgpu", async () => recording);
    await useBackend("webgpu");
    const init = await componentInit({ nComponents: 2, variableCapture: false }, counts, 3);
    await useBackend("cpu");

    expect(calls).toEqual([]);
    expect(init.geneLoc.backend).toBe(cpuBackend());
    // same clusters and starts as with the cpu current (the seeded draws did not move)
    expect(Array.from(init.labels)).toEqual(Array.from(reference.labels));
    expect(Array.from(await init.geneLoc.data())).toEqual(Array.from(await reference.geneLoc.data()));
    // the clusters are the two blocks: log(mean + 0.01) of 20 and 1
    const loc = Array.from(await init.geneLoc.data());
    const first = init.labels[0]!;
    expect(loc[first * 4]).toBeCloseTo(Math.log(20.01), 5);
    expect(loc[first * 4 + 1]).toBeCloseTo(Math.log(1.01), 5);
  });
});
