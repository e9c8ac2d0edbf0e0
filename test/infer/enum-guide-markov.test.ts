// TraceEnumELBO with a discrete site enumerated in the guide and an HMM in the model whose
// hidden states are enumerated in the model, written as a `markov` loop or through `scan`
// (NumPyro's TraceEnum_ELBO accepts enumerated guide sites next to a markov model). The loss
// equals the exact ELBO written out here in float64 to 1e-10:
//   Σ_s q(s) [log p(s) − log q(s) + log p(y | s)],
// with log p(y | s) by the forward algorithm computed independently here; also per sequence
// in a plate, with a per-sequence guide switch; the gradient matches finite differences of
// that formula; a guide-enumerated site inside the model's loop is refused by name.
import {
  configEnumerate,
  key,
  param,
  plate,
  sample,
  scan,
  type Tensor,
  tensor,
  valueAndGrad,
} from "@scribe/core";
import { Bernoulli, BernoulliLogits, Categorical, Normal } from "@scribe/distributions";
import { markov, TraceEnumELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const f64 = (v: number | number[] | number[][]) => tensor(v, { dtype: "float64" });
const INIT = [0.5, 0.3, 0.2];
const TRANS = [
  [0.8, 0.15, 0.05],
  [0.1, 0.7, 0.2],
  [0.25, 0.25, 0.5],
];
const LOCS = [-1, 0.5, 2];
const P_S = 0.35; // prior P(s = 1)
const YS = [-1.3, 0.2, 2.4, 1.8, -0.6, 0.9];
const T = YS.length;
const enumInfer = { infer: { enumerate: "parallel" as const } };

const npdf = (x: number, m: number) => Math.exp(-0.5 * (x - m) ** 2) / Math.sqrt(2 * Math.PI);
/** log p(y) of the HMM with emission means LOCS + shift, by the scaled forward algorithm. */
function forward(ys: readonly number[], shift: number): number {
  let alpha = INIT.slice();
  let ll = 0;
  ys.forEach((y, t) => {
    const prior = t === 0 ? alpha : LOCS.map((_, j) => alpha.reduce((a, p, i) => a + p * TRANS[i]![j]!, 0));
    const next = prior.map((p, j) => p * npdf(y, LOCS[j]! + shift));
    const c = next.reduce((a, b) => a + b, 0);
    ll += Math.log(c);
    alpha = next.map((v) => v / c);
  });
  return ll;
}
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Σ_s q(s)[log p(s) − log q(s) + log p(y | s)] for q(s = 1) = σ(logit), a shift of s·shift. */
function exactElbo(ys: readonly number[], logit: number, shift: number): number {
  let e = 0;
  for (const s of [0, 1]) {
    const q = s === 1 ? sigmoid(logit) : 1 - sigmoid(logit);
    e += q * (Math.log(s === 1 ? P_S : 1 - P_S) - Math.log(q) + forward(ys, s * shift));
  }
  return e;
}

/** The HMM as a `markov` loop; the switch s shifts every emission by s·shift. */
const markovModel = (ys: Tensor) => {
  const shift = param("shift", f64(0.8));
  const s = sample("s", Bernoulli({ probs: f64(P_S) }));
  const [init, trans, locs] = [f64(INIT), f64(TRANS), f64(LOCS)];
  let prev: Tensor | null = null;
  markov(T, (t) => {
    const x = sample(`x_${t}`, Categorical({ probs: prev === null ? init : trans.index(prev) }), enumInfer);
    sample(`y_${t}`, new Normal(locs.index(x).add(s.mul(shift)), 1), {
      obs: ys.slice([t], [t + 1]).reshape([]),
    });
    prev = x;
  });
};

/** The same HMM through `scan` (step 0 outside it, steps 1..T−1 in its body). */
const scanModel = (ys: Tensor) => {
  const shift = param("shift", f64(0.8));
  const s = sample("s", Bernoulli({ probs: f64(P_S) }));
  const [trans, locs] = [f64(TRANS), f64(LOCS)];
  const x0 = sample("x_init", Categorical({ probs: f64(INIT) }), enumInfer);
  sample("y_init", new Normal(locs.index(x0).add(s.mul(shift)), 1), { obs: ys.slice([0], [1]).reshape([]) });
  scan(
    (x: Tensor, y: Tensor) => {
      const next = sample("x", Categorical({ probs: trans.index(x) }), enumInfer);
      sample("y", new Normal(locs.index(next).add(s.mul(shift)), 1), { obs: y });
      return [next, null] as const;
    },
    x0,
    ys.slice([1], [T]),
  );
};

const guide = (_ys: Tensor) => {
  sample("s", new BernoulliLogits(param("s_logit", f64(0))), enumInfer);
};

describe("TraceEnumELBO: a guide-enumerated switch and a model-enumerated HMM", () => {
  for (const [name, model] of [
    ["markov loop", markovModel],
    ["scan", scanModel],
  ] as const) {
    it(`${name}: the loss is the exact ELBO by the forward algorithm (float64, 1e-10)`, async () => {
      const elbo = new TraceEnumELBO({ maxPlateNesting: 0 });
      for (const [logit, shift] of [
        [0.4, 0.8],
        [-1.1, -1.7],
      ] as const) {
        const loss = elbo.loss(key(0), { s_logit: f64(logit), shift: f64(shift) }, model, guide, [f64(YS)]);
        expect(Math.abs(Number((await loss.data())[0]) + exactElbo(YS, logit, shift))).toBeLessThan(1e-10);
      }
    });
  }

  it("markov loop: the gradient equals finite differences of the exact ELBO (float64, 1e-7)", async () => {
    // h = 1e-6: truncation ~h², rounding ~1e-16/h, both well under 1e-7
    const fd = (f: (x: number) => number, x: number) => (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
    const [logit, shift] = [0.4, 0.8];
    const [value, grads] = valueAndGrad((p: Record<string, Tensor>) =>
      new TraceEnumELBO({ maxPlateNesting: 0 }).loss(key(0), p, markovModel, guide, [f64(YS)]),
    )({ s_logit: f64(logit), shift: f64(shift) });
    expect(Math.abs(Number((await value.data())[0]) + exactElbo(YS, logit, shift))).toBeLessThan(1e-10);
    const gLogit = Number((await grads.s_logit!.data())[0]);
    const gShift = Number((await grads.shift!.data())[0]);
    // the loss is −ELBO; both gradients are far from 0, so the checks can fail
    expect(Math.abs(gLogit + fd((x) => exactElbo(YS, x, shift), logit))).toBeLessThan(1e-7);
    expect(Math.abs(gShift + fd((x) => exactElbo(YS, logit, x), shift))).toBeLessThan(1e-7);
    expect(Math.min(Math.abs(gLogit), Math.abs(gShift))).toBeGreaterThan(1e-2);
  });

  it("a plate of sequences, each with its own guide-enumerated switch, through scan (float64, 1e-10)", async () => {
    const seqs = [YS, YS.map((y) => 1.5 - y), YS.map((y, t) => y * 0.5 + t * 0.3)];
    const N = seqs.length;
    // ys: [T, N], the sequences along the plate dim (−1)
    const ys = f64(Array.from({ length: T }, (_, t) => seqs.map((q) => q[t]!)));
    const model = (y: Tensor) => {
      const shift = param("shift", f64(0.8));
      const [trans, locs] = [f64(TRANS), f64(LOCS)];
      plate("seqs", N, () => {
        const s = sample("s", Bernoulli({ probs: f64(P_S) }));
        const x0 = sample("x_init", Categorical({ probs: f64(INIT) }), enumInfer);
        const first = y.slice([0, 0], [1, N]).reshape([N]);
        sample("y_init", new Normal(locs.index(x0).add(s.mul(shift)), 1), { obs: first });
        scan(
          (x: Tensor, yt: Tensor) => {
            const next = sample("x", Categorical({ probs: trans.index(x) }), enumInfer);
            sample("y", new Normal(locs.index(next).add(s.mul(shift)), 1), { obs: yt });
            return [next, null] as const;
          },
          x0,
          y.slice([1, 0], [T, N]),
        );
      });
    };
    const logits = [0.3, -0.9, 1.4];
    const plateGuide = configEnumerate((_y: Tensor) => {
      const l = param("s_logits", f64(logits));
      plate("seqs", N, () => sample("s", new BernoulliLogits(l)));
    });
    const shift = -1.2;
    const want = seqs.reduce((a, q, n) => a + exactElbo(q, logits[n]!, shift), 0);
    const loss = new TraceEnumELBO({ maxPlateNesting: 1 }).loss(
      key(0),
      { s_logits: f64(logits), shift: f64(shift) },
      model,
      plateGuide,
      [ys],
    );
    expect(Math.abs(Number((await loss.data())[0]) + want)).toBeLessThan(1e-10);
  });

  it("refuses a guide-enumerated site inside the model's markov loop, naming it", () => {
    const model = (ys: Tensor) => {
      let prev: Tensor | null = null;
      markov(2, (t) => {
        const x = sample(
          `x_${t}`,
          Categorical({ probs: prev === null ? f64(INIT) : f64(TRANS).index(prev) }),
        );
        sample(`y_${t}`, new Normal(f64(LOCS).index(x), 1), { obs: ys.slice([t], [t + 1]).reshape([]) });
        prev = x;
      });
      sample("w", Bernoulli({ probs: f64(0.5) }), enumInfer);
    };
    const loopGuide = (_ys: Tensor) => {
      let prev: Tensor | null = null;
      markov(2, (t) => {
        prev = sample(
          `x_${t}`,
          Categorical({ probs: prev === null ? f64(INIT) : f64(TRANS).index(prev) }),
          enumInfer,
        );
      });
    };
    expect(() =>
      new TraceEnumELBO({ maxPlateNesting: 0 }).loss(key(0), {}, model, loopGuide, [f64(YS)]),
    ).toThrow(/site 'x_0' is enumerated in the guide but lies in a markov loop of the model/);
  });
});
