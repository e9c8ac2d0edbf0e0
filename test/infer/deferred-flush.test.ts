import {
  deferCheck,
  discardChecks,
  flushChecks,
  gt,
  isfinite,
  MAX_PENDING_CHECKS,
  pendingChecks,
  tensor,
} from "@scribe/core";
import { afterEach, describe, expect, it } from "vitest";

/**
 * The batched flush of deferred checks (packages/core/src/tensor/deferred-checks.ts) on the
 * cpu: every pending flag is stacked into one vector and read once; the first failure in
 * registration order wins whatever its position in the batch. The WebGPU twin, which also
 * counts the readbacks, is test/webgpu/deferred-flush.test.ts.
 */
afterEach(() => discardChecks());

const fail = (name: string) => (f: { index: number; values: readonly ArrayLike<number>[] }) =>
  `${name}[${f.index}] = ${f.values[0]![f.index]}`;

describe("batched async flush (cpu)", () => {
  it("throws the first failing check in registration order, from one batch", async () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([1, -2, 3]);
    const c = tensor([-5, 1, 1]);
    for (let i = 0; i < 10; i++) deferCheck(gt(a, 0), fail("a"), [a]);
    deferCheck(gt(b, 0), fail("b"), [b]);
    deferCheck(gt(c, 0), fail("c"), [c]);
    expect(pendingChecks()).toBe(12);
    await expect(flushChecks()).rejects.toThrow("b[1] = -2");
    expect(pendingChecks()).toBe(0);
    // the batch is gone: the next flush has nothing to throw
    await expect(flushChecks()).resolves.toBeUndefined();
  });

  it("a passing batch resolves and the readback returns its values", async () => {
    const x = tensor([0.5, 1.5]);
    for (let i = 0; i < 30; i++) deferCheck(isfinite(x.mul(i)), fail("x"));
    const v = await x.sum().data();
    expect(v[0]).toBe(2);
    expect(pendingChecks()).toBe(0);
  });

  it("the cap evaluates checks registered outside a model at once on the cpu", () => {
    const x = tensor([1]);
    for (let i = 0; i < MAX_PENDING_CHECKS + 5; i++) deferCheck(gt(x, 0), fail("x"), [x]);
    expect(pendingChecks()).toBeLessThanOrEqual(MAX_PENDING_CHECKS);
  });
});
