import {
  exp,
  gather,
  handlers,
  jit,
  key,
  liveBuffers,
  plate,
  random,
  scope,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
} from "@scribe/core";
import { nb2LogProb } from "@scribe/distributions";
import { describe, expect, it } from "vitest";

describe("jit", () => {
  it("replays a recorded value-and-gradient with new inputs, matching eager evaluation", () => {
    const y = tensor(
      [
        [0, 3, 1],
        [2, 0, 7],
      ],
      { dtype: "float64" },
    );
    const f = (a: Tensor, b: Tensor) => {
      const [v, g] = valueAndGrad((p: { a: Tensor; b: Tensor }) =>
        nb2LogProb(y, exp(p.a).mul(exp(p.b)), exp(p.b).add(1)).sum(),
      )({ a, b });
      return [v, g.a, g.b];
    };
    const jf = jit(f);
    for (let i = 0; i < 5; i++) {
      const a = tensor([[0.1 * i], [-0.2]], { dtype: "float64" });
      const b = tensor([[0.3, -0.1 * i, 0.5]], { dtype: "float64" });
      const got = jf(a, b).map((t) => Array.from(t.dataSync()));
      const want = f(a, b).map((t) => Array.from(t.dataSync()));
      expect(got).toEqual(want);
    }
    expect(jf.replays).toBe(4);
    jf.dispose();
  });

  it("falls back to eager evaluation when the function reads values or samples", () => {
    const reads = jit((x: Tensor) => (x.sum().item() > 0 ? x.mul(2) : x.mul(-2)));
    expect(Array.from(reads(tensor([1, 2])).dataSync())).toEqual([2, 4]);
    expect(Array.from(reads(tensor([-1, -2])).dataSync())).toEqual([2, 4]);
    expect(reads.replays).toBe(0);
    const draws = jit((x: Tensor) => x.add(random.normal(key(0), [2])));
    draws(tensor([0, 0]));
    draws(tensor([0, 0]));
    expect(draws.replays).toBe(0);
  });

  it("falls back to eager evaluation when a subsampled plate draws its indices on the host", () => {
    // The indices are a host input (a keyedHostDraw): a replay would reuse the recorded ones.
    let call = 0;
    const body = (x: Tensor) =>
      handlers.seed(() => plate("d", 10, { subsampleSize: 3 }, (idx) => gather(x, idx)), call++)();
    const jf = jit(body);
    const x = tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const got = [0, 1, 2, 3].map(() => Array.from(jf(x).dataSync()));
    call = 0;
    const want = [0, 1, 2, 3].map(() => Array.from(body(x).dataSync()));
    expect(got).toEqual(want);
    expect(new Set(want.map((w) => w.join())).size).toBeGreaterThan(1);
    expect(jf.replays).toBe(0);
    jf.dispose();
  });

  it("a long replay loop keeps the live-buffer count flat", () => {
    const f = jit((x: Tensor) => sum(x.mul(x)));
    f(tensor([1, 2, 3])).dispose();
    const start = liveBuffers();
    for (let i = 0; i < 1000; i++) scope(() => f(tensor([i, 1, 2])).item());
    expect(liveBuffers()).toBe(start);
    f.dispose();
  });
});
