import { cpuBackend, keep, key, random, scope, type Tensor, tensor, withBackend } from "@scribe/core";
import { threefry2x32 } from "@scribe/core/random/threefry.js";
import { describe, expect, it } from "vitest";
import { compare, values, webgpu } from "./gpu-env.js";

describe.skipIf(!webgpu)("webgpu random and memory", () => {
  it("threefry bits are identical to the cpu", async () => {
    const k = key(42);
    const bits = await webgpu!.randomBits(k, 1000, 3);
    for (let i = 0; i < 1000; i++) {
      const [a, b] = threefry2x32([k.hi, k.lo], [3, i]);
      expect(bits[2 * i]).toBe(a);
      expect(bits[2 * i + 1]).toBe(b);
    }
  });

  // Uniforms are one float32 rounding of the same bits. Normals go through WGSL's log, sqrt and
  // cos, which the WGSL spec lets run a few ulp (log: 2^-21 absolute near 1) from correctly
  // rounded; on SwiftShader the worst of 4096 draws is 3.3e-6 absolute, so 2e-5.
  it("uniform and normal draws match the cpu up to float32 rounding", async () => {
    const draws = [
      { draw: (b: unknown) => withBackend(b as never, () => random.uniform(key(7), [4096])), tol: 1e-7 },
      { draw: (b: unknown) => withBackend(b as never, () => random.normal(key(8), [4096])), tol: 2e-5 },
    ];
    for (const { draw, tol } of draws) {
      const err = compare(await values(draw(webgpu) as Tensor), await values(draw(cpuBackend()) as Tensor));
      expect(err.abs).toBeLessThan(tol);
    }
  });

  // 2,000 steps (each a dispatch, run on the CPU by SwiftShader): a step that kept even one
  // buffer would leave 2,000 behind, and a pool that grew only every few hundred steps still shows.
  it("the live-buffer counter stays flat over 2,000 update steps", async () => {
    const lr = 0.01;
    let w = withBackend(webgpu!, () => keep(tensor(new Float32Array(256).fill(1))));
    const start = webgpu!.liveBuffers();
    for (let step = 0; step < 2_000; step++) {
      const next = scope(() => withBackend(webgpu!, () => w.sub(w.mul(2).add(0.5).mul(lr))));
      w.dispose();
      w = keep(next);
      if (step % 500 === 0) await w.data();
    }
    expect(webgpu!.liveBuffers()).toBe(start);
  });
});
