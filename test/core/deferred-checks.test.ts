import {
  checkOrDefer,
  deferCheck,
  discardChecks,
  flushChecks,
  gt,
  isfinite,
  jit,
  liveBuffers,
  MAX_PENDING_CHECKS,
  pendingChecks,
  scope,
  type Tensor,
  tensor,
} from "@scribe/core";
import { describe, expect, it } from "vitest";

/** The message these tests format: index, position and the quoted value at that index. */
const fmt =
  (name: string) =>
  (f: { index: number; position: readonly number[]; values: readonly ArrayLike<number>[] }) =>
    `${name}[${f.position.join(", ")}] = ${f.values[0]![f.index]} (flat ${f.index})`;

describe("deferred checks", () => {
  it("throw at the next synchronous readback with the first failing index and value", () => {
    const x = tensor([
      [1, 2, -3],
      [4, -5, 6],
    ]);
    deferCheck(gt(x, 0), fmt("x"), [x]);
    expect(pendingChecks()).toBe(1);
    const y = x.sum();
    // Nothing is read at registration; the readback of anything evaluates the check.
    expect(() => y.item()).toThrow("x[0, 2] = -3 (flat 2)");
    expect(pendingChecks()).toBe(0);
    expect(y.item()).toBe(5); // the failed check was consumed
  });

  it("throw at the next await, and the first registered failure wins", async () => {
    const a = tensor([1, NaN]);
    const b = tensor([-1, 2]);
    deferCheck(isfinite(a), fmt("a"), [a]);
    deferCheck(gt(b, 0), fmt("b"), [b]);
    await expect(tensor([0]).data()).rejects.toThrow("a[1] = NaN (flat 1)");
    expect(pendingChecks()).toBe(0);
    deferCheck(gt(b, 0), fmt("b"), [b]);
    await expect(flushChecks()).rejects.toThrow("b[0] = -1 (flat 0)");
  });

  it("pass silently and return the values when every element holds", async () => {
    const x = tensor([1, 2, 3]);
    deferCheck(gt(x, 0), fmt("x"), [x]);
    expect(Array.from(await x.mul(2).data())).toEqual([2, 4, 6]);
    expect(pendingChecks()).toBe(0);
  });

  it("keep what they read alive past the end of a scope, and leak nothing afterwards", async () => {
    const before = liveBuffers();
    for (let i = 0; i < 5; i++) {
      const s = scope(() => {
        const v = tensor([1, 2, 3, i === 4 ? -1 : 4]).mul(2); // lazy, its leaf freed with the scope
        deferCheck(gt(v, 0), fmt("v"), [v]);
        return v.sum();
      });
      if (i < 4) expect((await s.data())[0]).toBeGreaterThan(0);
      else await expect(s.data()).rejects.toThrow("v[3] = -2 (flat 3)");
      s.dispose();
    }
    expect(liveBuffers()).toBe(before);
    // Discarded checks release what they kept, too.
    scope(() => {
      const v = tensor([1, -1]);
      deferCheck(gt(v, 0), fmt("v"), [v]);
    });
    discardChecks();
    expect(liveBuffers()).toBe(before);
  });

  it("checkOrDefer throws at once on the cpu, after the checks registered before it", () => {
    const x = tensor([3, -4]);
    expect(() => checkOrDefer(gt(x, 0), fmt("x"), [x])).toThrow("x[1] = -4 (flat 1)");
    const y = tensor([-7]);
    deferCheck(gt(y, 0), fmt("y"), [y]);
    expect(() => checkOrDefer(gt(x, 0), fmt("x"), [x])).toThrow("y[0] = -7 (flat 0)");
    expect(pendingChecks()).toBe(0);
    expect(() => checkOrDefer(gt(tensor([1]), 0), fmt("z"), [])).not.toThrow();
  });

  it("past MAX_PENDING_CHECKS the cpu evaluates waiting checks without a readback", () => {
    const x = tensor([1, 2]);
    for (let i = 0; i < MAX_PENDING_CHECKS; i++) deferCheck(gt(x, 0), fmt("x"), [x]);
    expect(pendingChecks()).toBe(MAX_PENDING_CHECKS);
    const bad = tensor([-1]);
    expect(() => deferCheck(gt(bad, 0), fmt("bad"), [bad])).toThrow("bad[0] = -1 (flat 0)");
    expect(pendingChecks()).toBe(0);
  });

  it("a jitted function that registers checks runs eagerly, so its checks run every call", () => {
    const f = jit((v: Tensor) => {
      deferCheck(gt(v, 0), fmt("v"), [v]);
      return v.sum();
    });
    expect(f(tensor([1, 2])).item()).toBe(3);
    expect(f(tensor([3, 4])).item()).toBe(7);
    expect(() => f(tensor([5, -6])).item()).toThrow("v[1] = -6 (flat 1)");
    expect(f.replays).toBe(0);
    f.dispose();
  });
});
