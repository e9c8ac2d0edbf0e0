// Drawing on WebGPU registers the samplers' parameter checks as deferred reductions
// (random/sampler-checks.ts): each check's flag, and for categorical the per-row min / max of
// its logits. realize.ts keeps pending reductions in one set that every later realize walks,
// so a reduction that is created and then never run nor disposed costs every pass from then
// on. After the draw is read back (the readback evaluates the checks) the set must be back to
// its size before the draw: for every GPU sampler, with parameters that are themselves pending
// expressions over a reduction, and when the checks are discarded instead of evaluated.
import { discardChecks, key, random, type Tensor, tensor, withBackend } from "@scribe/core";
import { pendingReductionCount } from "@scribe/core/tensor/realize.js";
import { describe, expect, it } from "vitest";
import { webgpu } from "./gpu-env.js";

const N = 4096;
/** Lazy parameters: an expression over a pending sum, so the checks read a deferred reduction. */
const lazy = (xs: number[]) => tensor(xs).add(tensor([0, 0]).sum());

const draws: [string, () => Tensor][] = [
  ["uniform", () => random.uniform(key(1), [N, 2], lazy([0, 1]), 2)],
  ["normal", () => random.normal(key(2), [N, 2])],
  ["bernoulli", () => random.bernoulli(key(3), lazy([0.2, 0.7]), [N, 2])],
  ["gamma", () => random.gamma(key(4), lazy([0.5, 3]), [N, 2])],
  ["poisson", () => random.poisson(key(5), lazy([0.5, 30]), [N, 2])],
  ["binomial", () => random.binomial(key(6), lazy([10, 1000]), lazy([0.3, 0.01]), [N, 2])],
  ["truncatedNormal", () => random.truncatedNormal(key(7), lazy([-1, 0.5]), lazy([1, 4]), [N, 2])],
  ["categorical", () => random.categorical(key(8), lazy([0.1, 2]).reshape([1, 2]).expand([N, 2]), [N])],
];

describe.skipIf(!webgpu)("WebGPU samplers leave no pending reduction behind", () => {
  it.each(draws)("%s: the set is back to its size once the draw is read", async (_, draw) => {
    const before = pendingReductionCount();
    const x = withBackend(webgpu!, draw);
    await x.data();
    expect(pendingReductionCount()).toBe(before);
    x.dispose();
  });

  it("discarded checks take their reductions with them", async () => {
    const before = pendingReductionCount();
    const xs = draws.map(([, draw]) => withBackend(webgpu!, draw));
    discardChecks();
    // a readback of another shape walks the set (and drops what was disposed)
    await withBackend(webgpu!, () => tensor([1, 2, 3]).mul(2)).data();
    expect(pendingReductionCount()).toBe(before);
    for (const x of xs) x.dispose();
  });
});
