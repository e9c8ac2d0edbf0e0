import {
  currentBackend,
  dataSync,
  realize,
  realizeTogether,
  sqrt,
  type Tensor,
  tensor,
  zerosLike,
} from "@scribe/core";
import { adam } from "@scribe/infer";
import { afterEach, describe, expect, it, vi } from "vitest";

/**
 * realizeTogether: lazy tensors of one shape are computed in one fused pass (counted at the
 * backend's runFused), with the values each gets when realized alone (bit for bit: the same
 * expressions through the same op bodies), and Adam's update is one pass per parameter.
 */

afterEach(() => {
  vi.restoreAllMocks();
});

const f64 = (values: number[]) => tensor(values, { dtype: "float64" });
const passes = () => vi.spyOn(currentBackend(), "runFused");

describe("realizeTogether", () => {
  it("computes tensors of one shape in one pass, equal to plain float64 arithmetic", () => {
    const a = [0.5, -1.25, 3, 7.75];
    const b = [2, 0.1, -0.3, 1e-3];
    const x = f64(a);
    const y = f64(b);
    const s = x.mul(y).add(1);
    const q = sqrt(s.mul(s).add(y));
    const spy = passes();
    realizeTogether([s, q]);
    expect(spy).toHaveBeenCalledTimes(1);
    // +, ×, √ are correctly rounded: the fused loop must give exactly these doubles.
    const sv = a.map((ai, i) => ai * b[i]! + 1);
    expect(Array.from(dataSync(s))).toEqual(sv);
    expect(Array.from(dataSync(q))).toEqual(sv.map((v, i) => Math.sqrt(v * v + b[i]!)));
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("runs one pass per shape, skips computed tensors and repeated entries", () => {
    const x = f64([1, 2, 3]);
    const z = f64([4, 5]);
    const done = x.add(1);
    realize(done);
    const u = x.mul(2);
    const w = z.mul(3);
    const spy = passes();
    realizeTogether([u, done, w, u, x]);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(Array.from(dataSync(u))).toEqual([2, 4, 6]);
    expect(Array.from(dataSync(w))).toEqual([12, 15]);
    expect(Array.from(dataSync(done))).toEqual([2, 3, 4]);
  });

  it("names a disposed tensor by its position", () => {
    const x = f64([1, 2]);
    const gone = x.mul(2);
    gone.dispose();
    expect(() => realizeTogether([x.add(1), gone])).toThrow(/realizeTogether \(tensor 1 of 2\).*disposed/);
  });
});

describe("Adam's update", () => {
  // float32, where writing m and v rounds them while the parameter's pass uses them unrounded:
  // the update must equal, bit for bit, the expressions realized one at a time (the parameter
  // first, as a memory scope realizes its results), which is how Adam ran before.
  const g0 = [0.3, -2.5, 1e-4, 40, -0.07];
  const p0 = [1, 2, -3, 0.25, 8];
  const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, 0.01];

  function separately(g: Tensor, p: Tensor, m0: Tensor, v0: Tensor, step: number) {
    const m = g.mul(1 - b1).add(m0.mul(b1));
    const v = g
      .square()
      .mul(1 - b2)
      .add(v0.mul(b2));
    const param = p.sub(
      m
        .div(1 - b1 ** (step + 1))
        .mul(lr)
        .div(sqrt(v.div(1 - b2 ** (step + 1))).add(eps)),
    );
    return { param: Array.from(dataSync(param)), m: Array.from(dataSync(m)), v: Array.from(dataSync(v)) };
  }

  it("is one pass per parameter and equals the three passes it replaces bit for bit", () => {
    const p = tensor(p0, { dtype: "float32" });
    const g = tensor(g0, { dtype: "float32" });
    const opt = adam(lr, { b1, b2, eps });
    let state = opt.init({ p });
    let m0: Tensor = zerosLike(p);
    let v0: Tensor = zerosLike(p);
    let before = p;
    for (let step = 0; step < 3; step++) {
      const spy = passes();
      state = opt.update({ p: g }, state, { keepOld: true });
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
      const want = separately(g, before, m0, v0, step);
      expect(Array.from(dataSync(state.params.p!))).toEqual(want.param);
      expect(Array.from(dataSync(state.slots.p!.m!))).toEqual(want.m);
      expect(Array.from(dataSync(state.slots.p!.v!))).toEqual(want.v);
      before = state.params.p!;
      m0 = state.slots.p!.m!;
      v0 = state.slots.p!.v!;
    }
  });
});
