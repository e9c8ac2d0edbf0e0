import { key, liveBuffers, param, sample, type Tensor, tensor } from "@scribe/core";
import { Normal } from "@scribe/distributions";
import { SVI, sgd, TraceELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

describe("a long SVI run does not grow", () => {
  it("20,000 steps: liveBuffers and heapUsed stay flat", { timeout: 120_000 }, async () => {
    const model = (y: Tensor) => {
      const z = sample("z", new Normal(0, 1));
      sample("y", new Normal(z, 1), { obs: y });
    };
    const guide = () => {
      sample("z", new Normal(param("m", tensor(0)), 0.5));
    };
    const svi = new SVI(model, guide, sgd(0.01), new TraceELBO());
    const y = tensor(1);
    let state = svi.init(key(0), [y]);
    const step = async (n: number) => {
      const r = await svi.run(key(0), n, [y], { initState: state, logEvery: 500, progressBar: false });
      // r.params["m"] is the state's own tensor (no constraint): nothing new to free
      state = r.state;
    };
    await step(2000); // warm up JIT and caches
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const buf0 = liveBuffers();
    const heap0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 9; i++) await step(2000);
    gc?.();
    expect(liveBuffers()).toBe(buf0);
    const grownMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    expect(grownMb).toBeLessThan(8);
    expect(state.optimState.step).toBe(20000);
  });
});
