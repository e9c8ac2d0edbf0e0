import { liveBuffers, scope, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { adam, clippedAdam, type Optimizer, rmsprop, withGlobalNormClipping } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const loss = (p: Record<string, Tensor>) => p.a!.sub(1).square().sum().add(p.b!.add(2).square().sum());

function train(
  opt: Optimizer,
  steps: number,
): { before: number; after: number; mid: number; final: Record<string, number[]> } {
  let s = opt.init({ a: tensor([0, 0, 0]), b: tensor([[5, 5]]) });
  const vg = valueAndGrad(loss);
  // warm up one step, so lazily created caches are not counted as growth
  s = scope(() => opt.update(vg(opt.getParams(s) as Record<string, Tensor>)[1], s));
  const before = liveBuffers();
  let mid = 0;
  for (let i = 0; i < steps; i++) {
    s = scope(() => {
      const [, g] = vg(opt.getParams(s) as Record<string, Tensor>);
      return opt.update(g, s);
    });
    if (i === steps / 2) mid = liveBuffers();
  }
  const after = liveBuffers();
  const p = opt.getParams(s);
  const final = {
    a: Array.from(p.a!.dataSync() as ArrayLike<number>),
    b: Array.from(p.b!.dataSync() as ArrayLike<number>),
  };
  opt.dispose(s);
  return { before, after, mid, final };
}

describe("optimizer state across scopes", () => {
  it("adam: live buffers stay flat over 5,000 steps and the state survives scope()", () => {
    const r = train(adam(0.05), 5000);
    expect(r.mid).toBe(r.before);
    expect(r.after).toBe(r.before);
    for (const v of r.final.a ?? [Number.NaN]) expect(v).toBeCloseTo(1, 2);
    for (const v of r.final.b ?? [Number.NaN]) expect(v).toBeCloseTo(-2, 2);
  });

  it("clipped adam with global-norm clipping and rmsprop: flat too", () => {
    for (const opt of [withGlobalNormClipping(clippedAdam(0.05), 1), rmsprop(0.01)]) {
      const r = train(opt, 1000);
      expect(r.after).toBe(r.before);
    }
  });

  it("disposing the final state returns the buffer count to where it started", () => {
    const start = liveBuffers();
    const opt = adam(0.1);
    const x = tensor([1, 2]);
    let s = opt.init({ x });
    for (let i = 0; i < 10; i++) s = scope(() => opt.update({ x: tensor([0.1, 0.1]) }, s));
    opt.dispose(s);
    x.dispose();
    expect(liveBuffers()).toBe(start);
  });
});
