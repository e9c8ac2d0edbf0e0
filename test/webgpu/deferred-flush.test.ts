import {
  deferCheck,
  discardChecks,
  flushChecks,
  gt,
  MAX_PENDING_CHECKS,
  pendingChecks,
  tensor,
  withBackend,
} from "@scribe/core";
import { afterEach, describe, expect, it } from "vitest";
import { webgpu } from "./gpu-env.js";

/**
 * Issue 12: on WebGPU the pending checks' flags are stacked on the device and read with ONE
 * readback, whatever their number (before: one readback per check), and the cap of
 * MAX_PENDING_CHECKS starts that read asynchronously (before: only the cpu was capped, so a
 * loop between two readbacks kept every check's inputs alive). The cpu twin is
 * test/infer/deferred-flush.test.ts.
 */
afterEach(() => discardChecks());

type Counters = { dispatches: number; submits: number; reads: number };
const fail = (name: string) => (f: { index: number; values: readonly ArrayLike<number>[] }) =>
  `${name}[${f.index}] = ${f.values[0]![f.index]}`;

describe.skipIf(!webgpu)("batched flush on WebGPU", () => {
  const gpu = webgpu!;
  const counters = (gpu as unknown as { counters: Counters }).counters;

  // withBackend holds for the synchronous part of a callback only, so every op below runs
  // inside one and the awaits stay outside.
  it("20 pending checks cost one readback beside the value's", { timeout: 120_000 }, async () => {
    const xs = withBackend(gpu, () => Array.from({ length: 20 }, (_, i) => tensor([i + 1, i + 2, i + 3])));
    await Promise.all(xs.map((x) => x.data())); // uploads settled, nothing pending
    const r0 = counters.reads;
    const sum = withBackend(gpu, () => {
      for (const x of xs) deferCheck(gt(x, 0), fail("x"), [x]);
      return xs[0]!.sum();
    });
    expect(pendingChecks()).toBe(20);
    const v = await sum.data();
    expect(v[0]).toBe(6);
    expect(counters.reads - r0).toBe(2); // the stacked flags + the value
    expect(pendingChecks()).toBe(0);
  });

  it("the first failure in registration order wins, with the cpu's text", { timeout: 120_000 }, async () => {
    const run = () => {
      const ok = tensor([1, 2]);
      const b = tensor([3, -4]);
      const c = tensor([-1, 1]);
      for (let i = 0; i < 5; i++) deferCheck(gt(ok, 0), fail("ok"), [ok]);
      deferCheck(gt(b, 0), fail("b"), [b]);
      deferCheck(gt(c, 0), fail("c"), [c]);
      return flushChecks();
    };
    await expect(withBackend(gpu, run)).rejects.toThrow("b[1] = -4");
    discardChecks();
  });

  it("past the cap the read starts by itself; a failure waits for the next readback", {
    timeout: 120_000,
  }, async () => {
    const [x, bad] = withBackend(gpu, () => [tensor([1, 2]), tensor([2, -3])] as const);
    await x.data();
    const r0 = counters.reads;
    const sum = withBackend(gpu, () => {
      deferCheck(gt(bad, 0), fail("bad"), [bad]);
      for (let i = 0; i < MAX_PENDING_CHECKS; i++) deferCheck(gt(x, 0), fail("x"), [x]);
      return x.sum();
    });
    // past the cap nothing stays pending: one read of all their flags is in flight
    expect(pendingChecks()).toBe(0);
    expect(counters.reads - r0).toBe(1);
    await expect(sum.data()).rejects.toThrow("bad[1] = -3");
    // the failure was thrown once; the next readback is clean
    expect((await sum.data())[0]).toBe(3);
  });
});
