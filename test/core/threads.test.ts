import { cpuBackend, exp, sum, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { disableThreads, enableThreads, parallelLoopCount } from "@scribe/core/node";
import { nb2LogProb, poissonBetaLogProb } from "@scribe/distributions";
import { afterAll, describe, expect, it } from "vitest";
import { randomArray, seededRandom } from "../helpers/numeric.js";

describe("worker-thread loop pool", () => {
  afterAll(() => disableThreads());

  it("splits large fused maps and reductions across threads with the single-thread results", () => {
    const rand = seededRandom(5);
    const N = 600;
    const G = 700; // 420k elements: above the parallel threshold
    const y = Float32Array.from(randomArray(rand, N * G, 0, 6, true));
    const a = Float32Array.from(randomArray(rand, N, -0.5, 0.5));
    const b = Float32Array.from(randomArray(rand, G, -1, 1));
    const run = () => {
      const Y = tensor(y, { shape: [N, G] });
      const [v, g] = valueAndGrad((p: { a: Tensor; b: Tensor }) =>
        nb2LogProb(Y, exp(p.a).mul(exp(p.b)), exp(p.b)).sum(),
      )({
        a: tensor(a, { shape: [N, 1] }),
        b: tensor(b, { shape: [1, G] }),
      });
      const mapped = sum(Y.mul(2).add(1), 0).dataSync();
      return {
        v: v.item(),
        ga: Array.from(g.a.dataSync()),
        gb: Array.from(g.b.dataSync()),
        mapped: Array.from(mapped),
      };
    };
    const single = run();
    enableThreads(2);
    expect((cpuBackend() as unknown as { sharedMinElements: number }).sharedMinElements).toBeLessThan(
      Infinity,
    );
    const before = parallelLoopCount();
    const multi = run();
    disableThreads();
    expect(parallelLoopCount()).toBeGreaterThan(before + 1);
    // Float64 accumulation in a different order: equal to ~1e-12 relative; outputs are float32.
    expect(Math.abs(multi.v - single.v) / Math.abs(single.v)).toBeLessThan(1e-7);
    multi.ga.forEach((x, i) => void expect(x).toBeCloseTo(single.ga[i]!, 3));
    multi.gb.forEach((x, i) => void expect(x).toBeCloseTo(single.gb[i]!, 3));
    expect(multi.mapped).toEqual(single.mapped);
  });

  it("splits heavy loops (a quadrature per element) from far fewer elements, with the same results", () => {
    const rand = seededRandom(6);
    const n = 20_000; // below the element threshold; poissonBeta's per-element cost puts it above the work threshold
    const u = Float64Array.from(randomArray(rand, n, 0, 12, true));
    const run = () => {
      const [v, g] = valueAndGrad((p: Tensor[]) =>
        poissonBetaLogProb(tensor(u), p[0]!, p[1]!, p[2]!, 64).sum(),
      )([tensor(new Float64Array([0.7])), tensor(new Float64Array([2.5])), tensor(new Float64Array([9]))]);
      return [v.item(), ...g.map((t) => t.item())];
    };
    const single = run();
    enableThreads(2);
    const before = parallelLoopCount();
    const multi = run();
    disableThreads();
    expect(parallelLoopCount()).toBeGreaterThan(before);
    // float64 throughout; only the order of the final sums differs
    multi.forEach((x, i) => void expect(Math.abs(x - single[i]!) / Math.abs(single[i]!)).toBeLessThan(1e-12));
  });
});
