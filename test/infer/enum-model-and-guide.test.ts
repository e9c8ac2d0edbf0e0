// TraceEnumELBO with discrete sites enumerated in the guide and others in the model only, in
// one model (NumPyro's TraceEnum_ELBO: guide sites with infer enumerate "parallel", model
// sites absent from the guide summed out in contracted cost terms). The loss equals the exact
// expectation written out here in float64, Σ_guide q [log p(guide values) − log q + log Σ_model
// p(model values, y | guide values)], to 1e-10; its gradient with respect to a guide logit and
// a model parameter equals central finite differences of that formula (h = 1e-6, float64: the
// truncation error is ~h² and the rounding error ~1e-16/h, so 1e-7 is comfortably above both);
// a model-enumerated site more global than a plated guide-enumerated one is refused by name.
// With a model-side `markov` loop or `scan`: test/infer/enum-guide-markov.test.ts.
import { configEnumerate, key, param, plate, sample, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { Bernoulli, BernoulliLogits, Categorical, Normal } from "@scribe/distributions";
import { TraceEnumELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const f64 = (v: number | number[] | number[][]) => tensor(v, { dtype: "float64" });
const DATA = [-2.1, -0.4, 0.6, 1.9, 3.1];
const LOCS = [-2, 0.5, 3];
const PI = [0.3, 0.3, 0.4];
const N = DATA.length;
const K = LOCS.length;
const P_S = 0.4; // prior P(s = 1)
const P_W = 0.3; // prior P(w = 1)

const lnorm = (x: number, m: number) => -0.5 * (x - m) ** 2 - 0.5 * Math.log(2 * Math.PI);
const logSumExp = (t: number[]) => {
  const mx = Math.max(...t);
  return mx + Math.log(t.reduce((a, v) => a + Math.exp(v - mx), 0));
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softmax = (l: number[]) => {
  const e = l.map((v) => Math.exp(v - Math.max(...l)));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

/** Central finite difference of `f` at `x` (h = 1e-6). */
const fd = (f: (x: number) => number, x: number) => (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;

describe("TraceEnumELBO: a guide-enumerated and a model-enumerated discrete site in one model", () => {
  // s: a global switch, enumerated in the guide (q(s = 1) = σ(sLogit));
  // z_n: per-point assignments, in the model only, enumerated there.
  const model = (y: Tensor) => {
    const shift = param("shift", f64(0.7));
    const s = sample("s", Bernoulli({ probs: f64(P_S) }));
    plate("N", N, () => {
      const z = sample("z", Categorical({ probs: f64(PI) }), { infer: { enumerate: "parallel" } });
      sample("y", new Normal(f64(LOCS).index(z).add(s.mul(shift)), 1), { obs: y });
    });
  };
  const guide = (_y: Tensor) => {
    sample("s", new BernoulliLogits(param("s_logit", f64(0))), { infer: { enumerate: "parallel" } });
  };
  /** The exact ELBO: Σ_s q(s) [log p(s) − log q(s) + Σ_n log Σ_k π_k N(y_n | μ_k + s·shift, 1)]. */
  const exact = (sLogit: number, shift: number) => {
    let e = 0;
    for (const s of [0, 1]) {
      const q = s === 1 ? sigmoid(sLogit) : 1 - sigmoid(sLogit);
      let inner = Math.log(s === 1 ? P_S : 1 - P_S) - Math.log(q);
      for (const y of DATA)
        inner += logSumExp(LOCS.map((m, k) => Math.log(PI[k]!) + lnorm(y, m + s * shift)));
      e += q * inner;
    }
    return e;
  };

  it("the loss is the exact sum by hand (float64, 1e-10)", async () => {
    const elbo = new TraceEnumELBO({ maxPlateNesting: 1 });
    for (const [sLogit, shift] of [
      [0.3, 0.7],
      [-1.2, -1.5],
    ] as const) {
      const loss = elbo.loss(key(0), { s_logit: f64(sLogit), shift: f64(shift) }, model, guide, [f64(DATA)]);
      expect(Math.abs(Number((await loss.data())[0]) + exact(sLogit, shift))).toBeLessThan(1e-10);
    }
  });

  it("its gradient equals finite differences of that sum (float64, 1e-7)", async () => {
    const elbo = new TraceEnumELBO({ maxPlateNesting: 1 });
    const [sLogit, shift] = [0.3, 0.7];
    const [value, grads] = valueAndGrad((p: Record<string, Tensor>) =>
      elbo.loss(key(0), p, model, guide, [f64(DATA)]),
    )({ s_logit: f64(sLogit), shift: f64(shift) });
    expect(Math.abs(Number((await value.data())[0]) + exact(sLogit, shift))).toBeLessThan(1e-10);
    const gLogit = Number((await grads.s_logit!.data())[0]);
    const gShift = Number((await grads.shift!.data())[0]);
    // the loss is −ELBO
    expect(Math.abs(gLogit + fd((x) => exact(x, shift), sLogit))).toBeLessThan(1e-7);
    expect(Math.abs(gShift + fd((x) => exact(sLogit, x), shift))).toBeLessThan(1e-7);
    // both gradients are far from zero, so the checks can fail
    expect(Math.abs(gLogit)).toBeGreaterThan(1e-2);
    expect(Math.abs(gShift)).toBeGreaterThan(1e-2);
  });

  it("both in one plate: per-point guide assignments, per-point model switches (float64, 1e-10)", async () => {
    // z_n enumerated in the guide (free logits per point), w_n in the model only
    const model2 = (y: Tensor) => {
      const shift = param("shift", f64(0.7));
      plate("N", N, () => {
        const z = sample("z", Categorical({ probs: f64(PI) }));
        const w = sample("w", Bernoulli({ probs: f64(P_W) }), { infer: { enumerate: "parallel" } });
        sample("y", new Normal(f64(LOCS).index(z).add(w.mul(shift)), 1), { obs: y });
      });
    };
    const guide2 = configEnumerate((_y: Tensor) => {
      const logits = param("q_logits", f64(DATA.map(() => new Array<number>(K).fill(0))));
      plate("N", N, () => sample("z", Categorical({ logits })));
    });
    const logits = DATA.map((_, n) => LOCS.map((_, k) => Math.sin((n + 1) * (k + 2))));
    const shift = -0.9;
    let want = 0;
    for (let n = 0; n < N; n++) {
      const q = softmax(logits[n]!);
      for (let k = 0; k < K; k++) {
        const lik = logSumExp(
          [0, 1].map((w) => Math.log(w ? P_W : 1 - P_W) + lnorm(DATA[n]!, LOCS[k]! + w * shift)),
        );
        want += q[k]! * (Math.log(PI[k]!) - Math.log(q[k]!) + lik);
      }
    }
    const loss = new TraceEnumELBO({ maxPlateNesting: 1 }).loss(
      key(0),
      { q_logits: f64(logits), shift: f64(shift) },
      model2,
      guide2,
      [f64(DATA)],
    );
    expect(Math.abs(Number((await loss.data())[0]) + want)).toBeLessThan(1e-10);
  });

  it("refuses a model-enumerated site more global than a plated guide-enumerated one, naming both", () => {
    // summing w out multiplies plate N out, but z_n's guide weights live in that plate
    const model3 = (y: Tensor) => {
      const w = sample("w", Bernoulli({ probs: f64(0.5) }), { infer: { enumerate: "parallel" } });
      plate("N", N, () => {
        const z = sample("z", Categorical({ probs: f64(PI) }));
        sample("y", new Normal(f64(LOCS).index(z).add(w), 1), { obs: y });
      });
    };
    const guide3 = configEnumerate((_y: Tensor) =>
      plate("N", N, () => sample("z", Categorical({ logits: f64(DATA.map(() => [0, 0, 0])) }))),
    );
    expect(() =>
      new TraceEnumELBO({ maxPlateNesting: 1 }).loss(key(0), {}, model3, guide3, [f64(DATA)]),
    ).toThrow(/model-enumerated site\(s\) 'w' are more global than guide-enumerated site 'z' in plate 'N'/);
  });
});
