import {
  type Backend,
  cpuBackend,
  key,
  random,
  sample,
  seed,
  type Tensor,
  tensor,
  trace,
  withBackend,
} from "@scribe/core";
import { Gamma } from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { webgpu } from "./gpu-env.js";

/**
 * Issue 12 leftover: on the cpu the samplers throw a RangeError for an invalid parameter; a
 * WebGPU kernel cannot and gave NaN draws. Now WebGPU registers the same rules as deferred
 * checks (core/src/random/sampler-checks.ts) and throws the cpu's message at the first
 * readback. Each case runs the same draw on both backends and compares the error text, so
 * the expected message is the cpu's own, not a copy.
 */

/** The message of the error `draw` raises on `backend`, when drawing or at the readback after. */
async function firstError(backend: Backend, draw: () => Tensor): Promise<string> {
  try {
    await withBackend(backend, async () => {
      await draw().data();
    });
  } catch (e) {
    return (e as Error).message;
  }
  return "(no error)";
}

const k = key(3);
const f32 = (v: number[]) => tensor(v);
const CASES: [string, () => Tensor][] = [
  ["gamma concentration", () => random.gamma(k, f32([1, 2, -2, 0]))],
  ["gamma NaN", () => random.gamma(k, f32([1, Number.NaN]))],
  ["poisson rate", () => random.poisson(k, f32([3, -0.5]))],
  ["binomial totalCount", () => random.binomial(k, f32([10, 2.5]), f32([0.3, 0.3]))],
  ["binomial probs", () => random.binomial(k, f32([10, 3]), f32([0.3, 1.5]))],
  ["bernoulli probs", () => random.bernoulli(k, f32([0.2, -0.1, 0.5]))],
  ["uniform order", () => random.uniform(k, [3], f32([0, 2, 1]), f32([1, 1, 2]))],
  ["uniform bound", () => random.uniform(k, [2], f32([0, Number.NEGATIVE_INFINITY]), 1)],
  ["uniform number bound", () => random.uniform(k, [2], Number.NaN, 1)],
  ["truncatedNormal order", () => random.truncatedNormal(k, f32([0, 3]), f32([1, 2]))],
  [
    "truncatedNormal +inf lower",
    () => random.truncatedNormal(k, f32([0, Number.POSITIVE_INFINITY]), f32([1, 2])),
  ],
  ["categorical NaN logit", () => random.categorical(k, f32([0, 1, 2, Number.NaN, 0, 1]).reshape([2, 3]))],
  [
    "categorical no finite entry",
    () => random.categorical(k, f32([0, 1, -Infinity, -Infinity]).reshape([2, 2])),
  ],
  // beta and dirichlet draw gammas at c or c + 1: the cpu's message for the gamma they draw
  ["beta", () => random.beta(k, f32([0.5, -1]), f32([2, 2]))],
];

describe.skipIf(!webgpu)("sampler parameter checks on WebGPU: the cpu's message at the readback", () => {
  const gpu = webgpu!;

  it("every sampler with an invalid parameter: the same error text as the cpu", {
    timeout: 240_000,
  }, async () => {
    for (const [label, draw] of CASES) {
      const cpu = await firstError(cpuBackend(), draw);
      expect([label, cpu]).not.toEqual([label, "(no error)"]);
      expect([label, await firstError(gpu, draw)]).toEqual([label, cpu]);
    }
  });

  it("valid parameters register checks that pass (the draws come back finite)", {
    timeout: 120_000,
  }, async () => {
    const x = withBackend(gpu, () => random.gamma(k, f32([0.5, 2, 7])));
    const v = await x.data();
    expect(Array.from(v).every((d) => Number.isFinite(d) && d > 0)).toBe(true);
  });

  it("inside a model with validation off, the site names the sampler's error", {
    timeout: 120_000,
  }, async () => {
    // Gamma(-1) with validateArgs false: only the sampler's check can catch it
    const model = () => sample("g", new Gamma(tensor([2, -1]), 1, false));
    const run = (backend: Backend) =>
      firstError(backend, () => {
        const t = trace(seed(model, k)).getTrace();
        return t.get("g")!.value!;
      });
    const cpu = await run(cpuBackend());
    expect(cpu).toContain("gamma: concentration[1] must be positive and finite, got -1");
    expect(await run(gpu)).toBe(`site 'g': ${cpu}`);
  });
});
