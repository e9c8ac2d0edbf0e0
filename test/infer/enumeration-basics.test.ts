// Enumeration's pieces: enumerateSupport on the finite-support distributions, the enum
// handler's dims (left of the plates), configEnumerate, clear errors, and the contraction of
// a model with a global discrete variable and local ones in nested plates, checked against
// brute-force summation over all 3456 joint assignments.
import {
  configEnumerate,
  enumerate,
  plate,
  type SampleMessage,
  sample,
  seed,
  type Tensor,
  tensor,
  trace,
} from "@scribe/core";
import { Bernoulli, Categorical, DiscreteUniform, Normal } from "@scribe/distributions";
import { enumLogDensity } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const arr = (t: Tensor) => Array.from(t.dataSync());

describe("enumerateSupport", () => {
  it("lists the support on a leading axis, unit batch axes unless expanded", () => {
    const b = Bernoulli({ probs: tensor([0.2, 0.7, 0.5]) });
    expect(b.enumerateSupport(false).shape).toEqual([2, 1]);
    expect(arr(b.enumerateSupport(false))).toEqual([0, 1]);
    expect(b.enumerateSupport().shape).toEqual([2, 3]);
    expect(arr(b.enumerateSupport())).toEqual([0, 0, 0, 1, 1, 1]);
    const c = Categorical({
      logits: tensor([
        [0, 1, 2],
        [1, 1, 1],
      ]),
    });
    expect(c.enumerateSupport(false).dtype).toBe("int32");
    expect(arr(c.enumerateSupport())).toEqual([0, 0, 1, 1, 2, 2]);
    expect(arr(Categorical({ probs: tensor([0.5, 0.5]) }).enumerateSupport())).toEqual([0, 1]);
    const u = new DiscreteUniform(2, 5);
    expect(arr(u.enumerateSupport())).toEqual([2, 3, 4, 5]);
    expect(() => new DiscreteUniform(tensor([0, 1]), 3).enumerateSupport()).toThrow(/plain numbers/);
  });

  it("DiscreteUniform: log p = −log(high − low + 1) on the support, −∞ off it; draws in range", () => {
    const u = new DiscreteUniform(2, 5);
    const lp = arr(u.logProb(tensor([2, 4, 5, 6, 1])));
    lp.slice(0, 3).forEach((v) => {
      expect(v).toBeCloseTo(-Math.log(4), 6);
    });
    expect(lp.slice(3)).toEqual([-Infinity, -Infinity]);
    const draws = arr(seed(() => sample("u", u, { sampleShape: [2000] }), 0)());
    expect(Math.min(...draws)).toBe(2);
    expect(Math.max(...draws)).toBe(5);
    expect(draws.every(Number.isInteger)).toBe(true);
  });
});

describe("the enum handler", () => {
  it("puts each enumerated site on a fresh dim left of the plates; configEnumerate marks finite supports", () => {
    const model = () => {
      const g = sample("g", Bernoulli({ probs: 0.4 }));
      plate("N", 3, () => {
        const z = sample("z", Categorical({ probs: tensor([0.2, 0.3, 0.5]) }));
        sample("x", new Normal(z.add(g), 1));
      });
    };
    const tr = trace(seed(enumerate(configEnumerate(model), { maxPlateNesting: 1 }), 0)).getTrace();
    const g = tr.get("g") as SampleMessage;
    const z = tr.get("z") as SampleMessage;
    const x = tr.get("x") as SampleMessage;
    expect(g.infer).toMatchObject({ enumerate: "parallel", _enumDim: -2, _enumSize: 2 });
    expect(z.infer).toMatchObject({ enumerate: "parallel", _enumDim: -3, _enumSize: 3 });
    expect(g.value!.shape).toEqual([2, 1]);
    expect(z.value!.shape).toEqual([3, 1, 1]);
    expect(x.infer.enumerate).toBeUndefined(); // Normal has no finite support
    expect(x.value!.shape).toEqual([3, 2, 3]); // a draw for every (z, g, n)
  });

  it("names the site and the fix when something does not fit", () => {
    const inPlate = () =>
      plate("N", 2, () => sample("z", Bernoulli({ probs: 0.5 }), { infer: { enumerate: "parallel" } }));
    expect(() => trace(enumerate(inPlate)).getTrace()).toThrow(
      /site 'z': plate 'N' uses dim -1, which enumeration needs .* set maxPlateNesting to at least 1/,
    );
    const continuous = () => sample("w", new Normal(0, 1), { infer: { enumerate: "parallel" } });
    expect(() => trace(enumerate(continuous)).getTrace()).toThrow(
      /site 'w': .* no finite support to enumerate/,
    );
    const sequential = () => sample("s", Bernoulli({ probs: 0.5 }), { infer: { enumerate: "sequential" } });
    expect(() => trace(enumerate(sequential)).getTrace()).toThrow(
      /site 's': infer.enumerate must be "parallel"/,
    );
  });
});

describe("contraction with plates", () => {
  // g ~ Bern(0.3); for i in N (3, dim −2): z_i ~ Cat(probs[g]), y_i ~ N(mu[z_i] + g, 1);
  //   for j in M (2, dim −1): w_ij ~ Bern(q[z_i]), x_ij ~ N(w_ij + z_i, 0.7).
  const PROBS = [
    [0.2, 0.5, 0.3],
    [0.6, 0.1, 0.3],
  ];
  const MU = [-1, 0.5, 2];
  const Q = [0.1, 0.5, 0.8];
  const Y = [0.3, 1.9, -0.8];
  const X = [
    [0.5, 1.2],
    [2.1, 1.4],
    [-0.2, 0.9],
  ];
  const model = () => {
    const g = sample("g", Bernoulli({ probs: tensor(0.3, { dtype: "float64" }) }));
    const gi = g.astype("int32");
    plate("N", 3, { dim: -2 }, () => {
      const z = sample("z", Categorical({ probs: tensor(PROBS, { dtype: "float64" }).index(gi) }));
      sample("y", new Normal(tensor(MU, { dtype: "float64" }).index(z).add(g), 1), {
        obs: tensor(Y, { dtype: "float64" }).reshape([3, 1]),
      });
      plate("M", 2, () => {
        const w = sample("w", Bernoulli({ probs: tensor(Q, { dtype: "float64" }).index(z) }));
        sample("x", new Normal(w.add(z), 0.7), { obs: tensor(X, { dtype: "float64" }) });
      });
    });
  };
  const lnorm = (x: number, m: number, s: number) =>
    -0.5 * ((x - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);

  it("equals brute-force summation over every joint assignment (float64, 1e-12)", () => {
    let total = 0;
    for (let g = 0; g < 2; g++)
      for (let code = 0; code < 27; code++) {
        const z = [code % 3, Math.floor(code / 3) % 3, Math.floor(code / 9)];
        for (let wcode = 0; wcode < 64; wcode++) {
          let lp = Math.log(g ? 0.3 : 0.7);
          z.forEach((zi, i) => {
            lp += Math.log(PROBS[g]![zi]!) + lnorm(Y[i]!, MU[zi]! + g, 1);
            for (let j = 0; j < 2; j++) {
              const w = (wcode >> (2 * i + j)) & 1;
              lp += Math.log(w ? Q[zi]! : 1 - Q[zi]!) + lnorm(X[i]![j]!, w + zi, 0.7);
            }
          });
          total += Math.exp(lp);
        }
      }
    const { logJoint } = enumLogDensity(configEnumerate(model), [], {}, { maxPlateNesting: 2 });
    expect(Math.abs(logJoint.item() - Math.log(total))).toBeLessThan(1e-12);
  });

  it("scales a subsampled plate after its local sums, before the global sum", () => {
    // g ~ Bern(0.4); for i in a minibatch of 3 of N = 6: z_i ~ Bern(0.3), y_i ~ N(z_i + 2g, 1).
    const ys = [0.1, 1.2, 2.9, -0.4, 3.3, 1.8];
    const idx = [1, 4, 5];
    const model = () => {
      const g = sample("g", Bernoulli({ probs: tensor(0.4, { dtype: "float64" }) }));
      plate("N", 6, { subsampleSize: 3 }, (i) => {
        const z = sample("z", Bernoulli({ probs: tensor(0.3, { dtype: "float64" }) }));
        sample("y", new Normal(z.add(g.mul(2)), 1), { obs: tensor(ys, { dtype: "float64" }).index(i) });
      });
    };
    const { logJoint } = enumLogDensity(
      configEnumerate(model),
      [],
      { N: tensor(idx, { dtype: "int32" }) },
      {
        maxPlateNesting: 1,
      },
    );
    const local = (g: number) =>
      idx.reduce(
        (a, i) =>
          a + Math.log(0.7 * Math.exp(lnorm(ys[i]!, 2 * g, 1)) + 0.3 * Math.exp(lnorm(ys[i]!, 1 + 2 * g, 1))),
        0,
      );
    const expected = Math.log(0.6 * Math.exp(2 * local(0)) + 0.4 * Math.exp(2 * local(1)));
    expect(Math.abs(logJoint.item() - expected)).toBeLessThan(1e-12);
  });
});
