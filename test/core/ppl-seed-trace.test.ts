import {
  deterministic,
  factor,
  key,
  module,
  param,
  prngKey,
  SeedMessenger,
  sample,
  seed,
  substitute,
  type Tensor,
  TraceMessenger,
  tensor,
  trace,
  UnitFactor,
  withHandlers,
  zeros,
} from "@scribe/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arr, normal01, ToyNormal } from "../helpers/toy-dist.js";

describe("trace", () => {
  it("records sample, param, deterministic and plate sites in order, with messages copied", () => {
    const model = () => {
      const p = param("p", tensor([0.5]));
      const z = sample("z", new ToyNormal(p, 1));
      deterministic("d", z.mul(2));
      sample("y", new ToyNormal(z, 1), { obs: tensor([0.1]) });
    };
    const tr = trace(seed(model, 0)).getTrace();
    expect([...tr.keys()]).toEqual(["p", "z", "d", "y"]);
    const z = tr.get("z")!;
    expect(z.type).toBe("sample");
    if (z.type === "sample") {
      expect(z.isObserved).toBe(false);
      expect(z.kwargs.rngKey).not.toBeNull();
      expect(z.infer).toEqual({});
      expect(z.intermediates).toEqual([]);
    }
    const y = tr.get("y")!;
    if (y.type === "sample") expect(y.isObserved).toBe(true);
    expect(arr(tr.get("d")!.value as Tensor)).toEqual(arr(z.value as Tensor).map((v) => v * 2));
  });

  it("rejects duplicate sample/deterministic names but lets params repeat", () => {
    const dup = () => {
      sample("x", normal01());
      sample("x", normal01());
    };
    expect(() => trace(seed(dup, 0)).getTrace()).toThrow(/'x' appears twice/);
    const twice = () => {
      param("w", tensor(1));
      param("w", tensor(1));
    };
    expect([...trace(twice).getTrace().keys()]).toEqual(["w"]);
  });

  it("run returns the value and the trace", () => {
    const { value, trace: tr } = trace(seed(() => sample("x", normal01()), 1)).run();
    expect(arr(value)).toEqual(arr(tr.get("x")!.value as Tensor));
  });

  it("the handler form exposes the trace", () => {
    const t = new TraceMessenger();
    withHandlers([new SeedMessenger(key(2)), t], () => sample("x", normal01()));
    expect([...t.trace.keys()]).toEqual(["x"]);
  });
});

describe("seed", () => {
  it("a seeded function is deterministic across calls; different seeds differ", () => {
    const f = seed(() => sample("x", normal01(), { sampleShape: [4] }), key(5));
    expect(arr(f())).toEqual(arr(f()));
    const g = seed(() => sample("x", normal01(), { sampleShape: [4] }), key(6));
    expect(arr(g())).not.toEqual(arr(f()));
    // integer seeds are keys
    expect(arr(seed(() => sample("x", normal01()), 5)())).toEqual(
      arr(seed(() => sample("x", normal01()), key(5))()),
    );
  });

  it("observed and substituted sites do not consume randomness (sampler is never called)", () => {
    const d = new ToyNormal(0, 1);
    seed(() => sample("y", d, { obs: tensor(1) }), 0)();
    trace(
      seed(
        substitute(() => sample("z", d), { z: tensor(2) }),
        0,
      ),
    ).getTrace();
    expect(d.sampleCalls).toBe(0);
  });

  it("a site's explicit rngKey is respected and does not advance the seed", () => {
    const model = () => [sample("a", normal01(), { rngKey: key(99) }), sample("b", normal01())];
    const [a, b] = seed(model, 0)();
    expect(arr(a!)).toEqual(arr(normal01().sample(key(99))));
    const [b2] = seed(() => [sample("b", normal01())], 0)();
    expect(arr(b!)).toEqual(arr(b2!));
  });

  it("innermost seed wins", () => {
    const inner = seed(() => sample("x", normal01()), 1);
    expect(arr(seed(inner, 2)())).toEqual(arr(inner()));
  });

  it("prngKey returns keys from the enclosing seed, distinct per call", () => {
    const [k1, k2] = seed(() => [prngKey(), prngKey()], 0)();
    expect(k1).not.toBeNull();
    expect(k1).not.toEqual(k2);
  });

  it("a callable param init receives a key only when no value is substituted", () => {
    let calls = 0;
    const init = (k: unknown) => {
      calls++;
      expect(k).not.toBeNull();
      return tensor([1, 2]);
    };
    const model = () => [param("w", init), sample("x", normal01())];
    const [, x1] = seed(model, 0)();
    expect(calls).toBe(1);
    const [w, x2] = seed(substitute(model, { w: tensor([3, 4]) }), 0)();
    expect(calls).toBe(1);
    expect(arr(w!)).toEqual([3, 4]);
    // the substituted param did not consume a key, so x differs from the unsubstituted run
    const [x3] = seed(() => [sample("x", normal01())], 0)();
    expect(arr(x2!)).toEqual(arr(x3!));
    expect(arr(x1!)).not.toEqual(arr(x3!));
  });
});

describe("properties", () => {
  const latentModel = (obsAt: number, n: number, obsVal: Tensor | null) => () => {
    const out: Tensor[] = [];
    for (let i = 0; i < n; i++) {
      if (i === obsAt && obsVal) sample(`obs${i}`, normal01(), { obs: obsVal });
      out.push(sample(`z${i}`, normal01()));
    }
    return out;
  };

  it("observing an extra site never changes the other draws", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(),
        fc.double({ noNaN: true, min: -5, max: 5 }),
        (s, n, at, v) => {
          const base = seed(latentModel(-1, n, null), s)();
          const withObs = seed(latentModel(at % n, n, tensor(v)), s)();
          for (let i = 0; i < n; i++) expect(arr(withObs[i]!)).toEqual(arr(base[i]!));
        },
      ),
      { numRuns: 30 },
    );
  });

  it("substitute then trace returns the substituted values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e3, max: 1e3 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (vals, s) => {
          const model = () => {
            for (let i = 0; i < vals.length; i++) sample(`x${i}`, normal01());
          };
          const data: Record<string, Tensor> = {};
          vals.forEach((v, i) => {
            data[`x${i}`] = tensor([v], { dtype: "float64" });
          });
          const tr = trace(seed(substitute(model, data), s)).getTrace();
          vals.forEach((v, i) => {
            expect(arr(tr.get(`x${i}`)!.value as Tensor)).toEqual([v]);
          });
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("factor and module", () => {
  it("factor is an observed auxiliary Unit site whose log-prob is the factor", () => {
    const tr = trace(() => factor("f", tensor([1.5, -2]))).getTrace();
    const f = tr.get("f")!;
    expect(f.type).toBe("sample");
    if (f.type !== "sample") return;
    expect(f.isObserved).toBe(true);
    expect(f.infer.isAuxiliary).toBe(true);
    expect(f.value!.shape).toEqual([2, 0]);
    expect(arr(f.fn.logProb(f.value!))).toEqual([1.5, -2]);
    const u = new UnitFactor(3).expand([2, 2]);
    expect(arr(u.logProb(zeros([2, 2, 0])))).toEqual([3, 3, 3, 3]);
  });

  it("module registers one param per module parameter, init runs once with a key", () => {
    let inits = 0;
    const lin = {
      paramNames: ["w", "b"],
      init: (k: unknown) => {
        inits++;
        expect(k).not.toBeNull();
        return { w: tensor([2]), b: tensor([1]) };
      },
      apply: (p: Record<string, Tensor>, x: Tensor) => x.mul(p.w!).add(p.b!),
    };
    const model = () => module("lin", lin)(tensor([3]));
    const { value, trace: tr } = trace(seed(model, 0)).run();
    expect(arr(value)).toEqual([7]);
    expect(inits).toBe(1);
    expect([...tr.keys()]).toEqual(["lin$params.w", "lin$params.b"]);
    const out = seed(substitute(model, { "lin$params.w": tensor([10]) }), 0)();
    expect(arr(out)).toEqual([31]);
  });
});
