// Issue 22, item 3: a long lazy loop overflowed the stack when its values were read, because
// realizing a deferred tensor realizes the deferred tensors it reads first, recursively. The
// chain depth is now bounded (MAX_DEFERRED_DEPTH). Closed form: x ← ½x + ½·mean(x) keeps the
// mean and halves every deviation from it, so after n steps x = m + 2⁻ⁿ(x₀ − m), m = mean(x₀).
import { key, MAX_DEFERRED_DEPTH, random, type Tensor } from "@scribe/core";
import { describe, expect, it } from "vitest";

function run(n: number): { x: Tensor; x0: Float64Array } {
  const start = random.normal(key(0), [100]);
  const x0 = Float64Array.from(start.dataSync());
  let x = start;
  for (let i = 0; i < n; i++) x = x.mul(0.5).add(x.mean().mul(0.5));
  return { x, x0 };
}

const meanOf = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;

describe("lazy graphs have no stack limit", () => {
  it("the issue's loop: 10,000 steps, then sum().item()", () => {
    const { x, x0 } = run(10_000);
    const m = meanOf(x0);
    // float32: each step rounds once; the mean drifts by a few ulps of |x| per step at most,
    // and by far less in practice (the errors are unbiased): 1e-4 absolute on a sum of 100.
    expect(Math.abs(x.sum().item() - 100 * m)).toBeLessThan(1e-4 * 100);
    const xs = x.dataSync();
    for (const v of xs) expect(Math.abs(v - m)).toBeLessThan(1e-5);
  }, 120_000);

  it("short chains keep the closed form to float32 accuracy", () => {
    const { x, x0 } = run(10);
    const m = meanOf(x0);
    const xs = x.dataSync();
    x0.forEach((v, i) => {
      expect(Math.abs(xs[i]! - (m + (v - m) / 1024))).toBeLessThan(1e-5);
    });
  });

  it("a chain just past the bound realizes early and gives the same values", () => {
    const a = run(MAX_DEFERRED_DEPTH + 3).x.dataSync();
    const b = run(MAX_DEFERRED_DEPTH - 3).x.dataSync();
    // Both are the mean to float32 precision (2^-253 deviations vanish).
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
  });

  it.runIf(process.env.SCRIBE_SLOW === "1")(
    "100,000 steps",
    () => {
      const { x, x0 } = run(100_000);
      expect(Math.abs(x.sum().item() - 100 * meanOf(x0))).toBeLessThan(1e-3 * 100);
    },
    600_000,
  );
});
