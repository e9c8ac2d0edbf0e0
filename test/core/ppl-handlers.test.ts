import {
  block,
  condition,
  deterministic,
  doIntervene,
  handlers,
  inferConfig,
  lift,
  mask,
  nameScope,
  param,
  plate,
  type Reparameterizer,
  reparam,
  replay,
  type SampleMessage,
  sample,
  scale,
  seed,
  substitute,
  type Tensor,
  tensor,
  trace,
} from "@scribe/core";
import { describe, expect, it } from "vitest";
import { arr, MaskableToyNormal, normal01, ToyNormal } from "../helpers/toy-dist.js";

const s = (tr: Map<string, unknown>, name: string) => tr.get(name) as SampleMessage;

const twoSites = () => {
  const x = sample("x", normal01());
  const y = sample("y", new ToyNormal(x, 1));
  return { x, y };
};

describe("substitute vs condition", () => {
  it("substitute sets values only (sites stay latent) and also acts on params, plates and deterministics", () => {
    const model = () => {
      const p = param("p", tensor(0));
      const x = sample("x", normal01());
      const d = deterministic("d", x.add(1));
      const idx = plate("pl", 3, (i) => i);
      return { p, d, idx };
    };
    const data = { p: tensor(5), x: tensor(2), d: tensor(-1), pl: tensor([2, 1, 0], { dtype: "int32" }) };
    const { value, trace: tr } = trace(seed(substitute(model, data), 0)).run();
    expect(arr(value.p)).toEqual([5]);
    expect(arr(value.d)).toEqual([-1]);
    expect(arr(value.idx)).toEqual([2, 1, 0]);
    expect(s(tr, "x").isObserved).toBe(false);
    // function form
    const tr2 = trace(
      seed(
        substitute(model, (m) => (m.name === "x" ? tensor(7) : null)),
        0,
      ),
    ).getTrace();
    expect(arr(s(tr2, "x").value!)).toEqual([7]);
    // a Map works too
    const tr3 = trace(seed(substitute(model, new Map([["x", tensor(8)]])), 0)).getTrace();
    expect(arr(s(tr3, "x").value!)).toEqual([8]);
  });

  it("condition observes sample sites and ignores params", () => {
    const model = () => [param("p", tensor(0)), sample("x", normal01())];
    const tr = trace(seed(condition(model, { x: tensor(3), p: tensor(9) }), 0)).getTrace();
    expect(s(tr, "x").isObserved).toBe(true);
    expect(arr(s(tr, "x").value!)).toEqual([3]);
    expect(arr(tr.get("p")!.value as Tensor)).toEqual([0]);
    const tr2 = trace(
      seed(
        condition(model, (m) => (m.name === "x" ? tensor(4) : undefined)),
        0,
      ),
    ).getTrace();
    expect(arr(s(tr2, "x").value!)).toEqual([4]);
  });
});

describe("replay", () => {
  it("copies latent values and infer from the guide trace, skips observed model sites", () => {
    const guide = () => sample("x", normal01(), { infer: { tag: 1 } });
    const gtr = trace(seed(guide, 1)).getTrace();
    const model = (y: Tensor) => {
      sample("x", normal01());
      sample("y", normal01(), { obs: y });
    };
    const mtr = trace(replay(seed(model, 2), gtr)).getTrace(tensor(0.5));
    expect(arr(s(mtr, "x").value!)).toEqual(arr(s(gtr, "x").value!));
    expect(s(mtr, "x").infer).toEqual({ tag: 1 });
    expect(arr(s(mtr, "y").value!)).toEqual([0.5]);
  });

  it("errors when the trace site is not a latent sample", () => {
    const gtr = trace(() => sample("x", normal01(), { obs: tensor(1) })).getTrace();
    expect(() =>
      replay(
        seed(() => sample("x", normal01()), 0),
        gtr,
      )(),
    ).toThrow(/site 'x'.*observed/);
    const gtr2 = trace(() => param("x", tensor(1))).getTrace();
    expect(() =>
      replay(
        seed(() => sample("x", normal01()), 0),
        gtr2,
      )(),
    ).toThrow(/param site/);
    const gtr3 = trace(seed(() => sample("pl", normal01()), 0)).getTrace();
    expect(() => replay(() => plate("pl", 3, () => 0), gtr3)()).toThrow(/plate in the model/);
  });
});

describe("block", () => {
  const model = () => {
    param("p", tensor(1));
    twoSites();
  };
  const names = (f: () => unknown) => [...trace(seed(f, 0)).getTrace().keys()];

  it("hides everything by default, or by name, type, expose list or predicate", () => {
    expect(names(block(model))).toEqual([]);
    expect(names(block(model, { hide: ["x"] }))).toEqual(["p", "y"]);
    expect(names(block(model, { exposeTypes: ["param"] }))).toEqual(["p"]);
    expect(names(block(model, { expose: ["y"] }))).toEqual(["y"]);
    expect(names(block(model, { hideFn: (m) => m.type === "sample" }))).toEqual(["p"]);
  });

  it("precedence: hideFn > hide > exposeTypes > expose", () => {
    expect(names(block(model, { hideFn: () => false, hide: ["x"] }))).toEqual(["p", "x", "y"]);
    expect(names(block(model, { hide: ["x"], exposeTypes: ["param"] }))).toEqual(["p", "y"]);
    expect(names(block(model, { exposeTypes: ["sample"], expose: ["p"] }))).toEqual(["x", "y"]);
  });

  it("blocked sites stay random under an outer seed (same draws as unblocked)", () => {
    const a = seed(twoSites, 7)();
    const b = seed(block(twoSites), 7)();
    expect(arr(b.x)).toEqual(arr(a.x));
    expect(arr(b.y)).toEqual(arr(a.y));
  });
});

describe("scope", () => {
  it("prefixes site and plate-frame names; hideTypes leaves types alone", () => {
    const m = () => plate("cells", 2, () => sample("x", normal01()));
    const tr = trace(seed(nameScope(m, "enc"), 0)).getTrace();
    expect([...tr.keys()]).toEqual(["enc/cells", "enc/x"]);
    expect(s(tr, "enc/x").condIndepStack.map((f) => f.name)).toEqual(["enc/cells"]);
    const tr2 = trace(seed(handlers.scope(m, "a", { divider: ".", hideTypes: ["plate"] }), 0)).getTrace();
    expect([...tr2.keys()]).toEqual(["cells", "a.x"]);
    expect(s(tr2, "a.x").condIndepStack.map((f) => f.name)).toEqual(["cells"]);
    // nested scopes read outer/inner/name
    const tr3 = trace(
      seed(
        nameScope(
          nameScope(() => sample("x", normal01()), "in"),
          "out",
        ),
        0,
      ),
    ).getTrace();
    expect([...tr3.keys()]).toEqual(["out/in/x"]);
  });
});

describe("scale and mask", () => {
  it("scale multiplies msg.scale of sample sites and composes with plates; non-positive is an error", () => {
    const m = () => plate("d", 10, { subsampleSize: 5 }, () => sample("x", normal01()));
    const tr = trace(seed(scale(scale(m, 3), 0.5), 0)).getTrace();
    expect(s(tr, "x").scale).toBeCloseTo(3);
    expect(() => scale(m, 0)()).toThrow(/positive/);
    expect(() => scale(m, -1)()).toThrow(/positive/);
  });

  it("mask uses the distribution's mask method when it has one", () => {
    const m = tensor([1, 0, 1]).gt(0);
    const tr = trace(
      seed(
        mask(() => sample("x", new MaskableToyNormal(tensor([0, 0, 0]), 1)), m),
        0,
      ),
    ).getTrace();
    const x = s(tr, "x");
    expect(x.mask).toBeNull();
    const lp = arr(x.fn.logProb(x.value!));
    expect(lp[1]).toBe(0);
    expect(lp[0]).toBeLessThan(0);
  });

  it("otherwise records the mask on the message, and nested masks combine with and", () => {
    const m1 = tensor([1, 1, 0]).gt(0);
    const m2 = tensor([1, 0, 1]).gt(0);
    const tr = trace(
      seed(
        mask(
          mask(() => sample("x", new ToyNormal(tensor([0, 0, 0]), 1)), m1),
          m2,
        ),
        0,
      ),
    ).getTrace();
    expect(arr((s(tr, "x").mask as Tensor).astype("float32"))).toEqual([1, 0, 0]);
    const trF = trace(
      seed(
        mask(
          mask(() => sample("x", normal01()), false),
          m1,
        ),
        0,
      ),
    ).getTrace();
    expect(s(trF, "x").mask).toBe(false);
  });

  it("obsMask splits a site into observed and imputed parts recombined by a deterministic", () => {
    const obs = tensor([1, 2, 3]);
    const om = tensor([1, 0, 1]).gt(0);
    const { value, trace: tr } = trace(
      seed(() => sample("x", new ToyNormal(tensor([0, 0, 0]), 1), { obs, obsMask: om }), 0),
    ).run();
    expect([...tr.keys()]).toEqual(["x_observed", "x_unobserved", "x"]);
    expect(s(tr, "x_observed").isObserved).toBe(true);
    expect(s(tr, "x_unobserved").isObserved).toBe(false);
    const v = arr(value);
    const imputed = arr(s(tr, "x_unobserved").value!);
    expect(v).toEqual([1, imputed[1]!, 3]);
    expect(arr((s(tr, "x_unobserved").mask as Tensor).astype("float32"))).toEqual([0, 1, 0]);
  });
});

describe("inferConfig, reparam, lift, do", () => {
  it("inferConfig merges hints into sample sites", () => {
    const tr = trace(
      seed(
        inferConfig(twoSites, (m) => (m.name === "x" ? { enumerate: "parallel" } : null)),
        0,
      ),
    ).getTrace();
    expect(s(tr, "x").infer).toEqual({ enumerate: "parallel" });
    expect(s(tr, "y").infer).toEqual({});
  });

  it("reparam: a value without a fn turns the site deterministic; aux sites go through the stack", () => {
    const decenter: Reparameterizer = {
      apply: ({ name, fn }) => {
        const d = fn as ToyNormal;
        const z = sample(`${name}_decentered`, new ToyNormal(0, 1));
        return { fn: null, value: z.mul(d.scale).add(d.loc) };
      },
    };
    const model = () => sample("theta", new ToyNormal(5, 2));
    const { value, trace: tr } = trace(seed(reparam(model, { theta: decenter }), 0)).run();
    expect([...tr.keys()]).toEqual(["theta_decentered", "theta"]);
    expect(tr.get("theta")!.type).toBe("deterministic");
    expect(arr(value)[0]).toBeCloseTo(arr(s(tr, "theta_decentered").value!)[0]! * 2 + 5, 5);
    // a new fn with a value makes the site observed; a Map and a function config work too
    const swap: Reparameterizer = { apply: () => ({ fn: new ToyNormal(1, 1), value: tensor(0.25) }) };
    const tr2 = trace(seed(reparam(model, new Map([["theta", swap]])), 0)).getTrace();
    expect(s(tr2, "theta").isObserved).toBe(true);
    expect((s(tr2, "theta").fn as ToyNormal).loc.item()).toBe(1);
    const tr3 = trace(
      seed(
        reparam(model, (m) => (m.name === "theta" ? swap : null)),
        0,
      ),
    ).getTrace();
    expect(arr(s(tr3, "theta").value!)).toEqual([0.25]);
  });

  it("lift turns params into samples from the prior; a repeated param reuses the draw", () => {
    const model = () => [param("w", tensor(0)), param("w", tensor(0)), param("b", tensor(0))];
    const { value, trace: tr } = trace(seed(lift(model, { w: new ToyNormal(10, 1) }), 0)).run();
    expect(tr.get("w")!.type).toBe("sample");
    expect(tr.get("b")!.type).toBe("param");
    expect(arr(value[0]!)).toEqual(arr(value[1]!));
    expect(Math.abs(arr(value[0]!)[0]! - 10)).toBeLessThan(6);
    const tr2 = trace(seed(lift(model, new ToyNormal(0, 1)), 0)).getTrace();
    expect(tr2.get("b")!.type).toBe("sample");
  });

  it("do: downstream sees the intervention; the site itself is still sampled", () => {
    const model = () => {
      const z = sample("z", normal01());
      const y = sample("y", new ToyNormal(z, 0.001));
      return { z, y };
    };
    const { value, trace: tr } = trace(seed(doIntervene(model, { z: tensor(100) }), 0)).run();
    expect(arr(value.z)).toEqual([100]);
    expect(Math.abs(arr(value.y)[0]! - 100)).toBeLessThan(0.1);
    expect([...tr.keys()]).toEqual(["z", "y"]);
    expect(s(tr, "z").isObserved).toBe(false);
    expect(Math.abs(arr(s(tr, "z").value!)[0]!)).toBeLessThan(6);
  });
});
