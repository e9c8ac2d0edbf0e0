// `markov` loops under enumeration (NumPyro's `for t in markov(range(T), history=h)`): the
// marginal log-likelihood of HMMs written as plain loops equals the forward algorithm,
// computed here independently in float64 on the pair (or single) state space, to 1e-10;
// enumeration dims are recycled ((h + 1) per loop whatever T is); a global enumerated
// variable, a plate of sequences and TraceEnumELBO are covered.
import {
  enumDimOf,
  enumerate,
  key,
  plate,
  type SampleMessage,
  sample,
  type Tensor,
  tensor,
  trace,
} from "@scribe/core";
import { Bernoulli, Categorical, Normal } from "@scribe/distributions";
import { enumLogDensity, markov, TraceEnumELBO } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const K = 3;
const INIT = [0.5, 0.3, 0.2];
const TRANS1 = [
  [0.8, 0.15, 0.05],
  [0.1, 0.7, 0.2],
  [0.25, 0.25, 0.5],
];
/** Order-2 transitions TRANS2[a][b] = p(x_t | x_{t−2} = a, x_{t−1} = b), all distinct. */
const TRANS2 = Array.from({ length: K }, (_, a) =>
  Array.from({ length: K }, (_, b) => {
    const w = Array.from({ length: K }, (_, c) => 1 + ((a * 7 + b * 3 + c * 5) % 6) + (a === c ? 3 : 0));
    const s = w.reduce((x, y) => x + y, 0);
    return w.map((v) => v / s);
  }),
);
const LOCS = [-1, 0.5, 2];

const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });
const enumInfer = { infer: { enumerate: "parallel" as const } };
/** Step t of observations [T, …]. */
const row = (y: Tensor, t: number): Tensor => {
  const rest = y.shape.slice(1);
  return y.slice([t, ...rest.map(() => 0)], [t + 1, ...rest]).reshape(rest);
};

/** The order-2 HMM as a plain loop: x_0 ~ init, x_1 ~ TRANS1[x_0], x_t ~ TRANS2[x_{t−2}, x_{t−1}]. */
function hmm2(ys: Tensor, T: number): void {
  const init = f64(INIT);
  const trans1 = f64(TRANS1);
  const trans2 = f64(TRANS2.flat()); // [K·K, K], row a·K + b
  const locs = f64(LOCS);
  let prev2: Tensor | null = null;
  let prev1: Tensor | null = null;
  markov(
    T,
    (t) => {
      const probs =
        prev1 === null ? init : prev2 === null ? trans1.index(prev1) : trans2.index(prev2.mul(K).add(prev1));
      const x = sample(`x_${t}`, Categorical({ probs }), enumInfer);
      sample(`y_${t}`, new Normal(locs.index(x), 1), { obs: row(ys, t) });
      prev2 = prev1;
      prev1 = x;
    },
    { history: 2 },
  );
}

const npdf = (x: number, m: number) => Math.exp(-0.5 * (x - m) ** 2) / Math.sqrt(2 * Math.PI);

/** log p(y) of the order-2 HMM by the forward algorithm over pairs (x_{t−1}, x_t), float64. */
function forward2(ys: number[]): number {
  if (ys.length === 0) return 0;
  let ll = 0;
  const norm = (v: number[]) => {
    const c = v.reduce((a, b) => a + b, 0);
    ll += Math.log(c);
    return v.map((x) => x / c);
  };
  const a0 = norm(INIT.map((p, i) => p * npdf(ys[0]!, LOCS[i]!)));
  if (ys.length === 1) return ll;
  // pair[a·K + b] ∝ p(x_{t−1} = a, x_t = b, y_0..t)
  let pair = norm(
    Array.from({ length: K * K }, (_, j) => {
      const a = Math.floor(j / K);
      const b = j % K;
      return a0[a]! * TRANS1[a]![b]! * npdf(ys[1]!, LOCS[b]!);
    }),
  );
  for (let t = 2; t < ys.length; t++) {
    const next = new Array<number>(K * K).fill(0);
    for (let a = 0; a < K; a++)
      for (let b = 0; b < K; b++)
        for (let c = 0; c < K; c++)
          next[b * K + c]! += pair[a * K + b]! * TRANS2[a]![b]![c]! * npdf(ys[t]!, LOCS[c]!);
    pair = norm(next);
  }
  return ll;
}

/** log p(y) of the order-1 HMM with transitions `trans` (scaled forward algorithm). */
function forward1(ys: number[], trans: number[][]): number {
  let alpha = INIT.slice();
  let ll = 0;
  ys.forEach((y, t) => {
    const next = LOCS.map(
      (m, j) => (t === 0 ? INIT[j]! : alpha.reduce((s, a, i) => s + a * trans[i]![j]!, 0)) * npdf(y, m),
    );
    const c = next.reduce((a, b) => a + b, 0);
    ll += Math.log(c);
    alpha = next.map((v) => v / c);
  });
  return ll;
}

/** A fixed pseudo-random observation sequence (a linear congruential generator). */
function observations(n: number, seed: number): number[] {
  let s = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push((s / 2147483648) * 5 - 1.5);
  }
  return out;
}

async function logJointOf(model: (ys: Tensor) => void, ys: number[]): Promise<number> {
  const { logJoint } = enumLogDensity(model, [f64(ys)], {});
  return Number((await logJoint.data())[0]);
}

describe("markov loops under enumeration", () => {
  it("order-2 HMM: marginal log-likelihood equals the pair-state forward algorithm to 1e-10 (float64)", async () => {
    for (const T of [1, 2, 3, 4, 11, 60]) {
      const ys = observations(T, 7 + T);
      const got = await logJointOf((y) => hmm2(y, T), ys);
      expect(Math.abs(got - forward2(ys)), `T = ${T}: ${got} vs ${forward2(ys)}`).toBeLessThan(1e-10);
    }
  });

  it("recycles enumeration dims: history + 1 dims for any T", () => {
    for (const T of [5, 40]) {
      const ys = f64(observations(T, 3));
      const tr = trace(enumerate((y: Tensor) => hmm2(y, T))).getTrace(ys);
      const dims = new Set<number>();
      let maxRank = 0;
      for (const s of tr.values())
        if (s.type === "sample") {
          const d = enumDimOf(s as SampleMessage);
          if (d !== undefined) dims.add(d);
          maxRank = Math.max(maxRank, (s as SampleMessage).value!.rank);
        }
      expect([...dims].sort((a, b) => a - b)).toEqual([-3, -2, -1]);
      expect(maxRank).toBeLessThanOrEqual(3);
    }
  });

  it("order 1 with a global enumerated switch between two transition matrices (mixture of HMMs)", async () => {
    const TRANS_B = [
      [0.2, 0.4, 0.4],
      [0.5, 0.1, 0.4],
      [0.3, 0.6, 0.1],
    ];
    const T = 25;
    const ys = observations(T, 5);
    const stacked = f64([...TRANS1, ...TRANS_B]); // [2K, K], row g·K + x
    const model = (y: Tensor) => {
      const g = sample("g", Bernoulli({ probs: tensor(0.3, { dtype: "float64" }) }), enumInfer);
      let prev: Tensor | null = null;
      markov(T, (t) => {
        const probs: Tensor = prev === null ? f64(INIT) : stacked.index(g.astype("int32").mul(K).add(prev));
        const x = sample(`x_${t}`, Categorical({ probs }), enumInfer);
        sample(`y_${t}`, new Normal(f64(LOCS).index(x), 1), { obs: row(y, t) });
        prev = x;
      });
    };
    const a = Math.log(0.7) + forward1(ys, TRANS1);
    const b = Math.log(0.3) + forward1(ys, TRANS_B);
    const m = Math.max(a, b);
    const want = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
    expect(Math.abs((await logJointOf(model, ys)) - want)).toBeLessThan(1e-10);
  });

  it("a plate of independent sequences with a markov loop inside, and a site after the loop on the last state", async () => {
    const T = 8;
    const seqs = [observations(T, 1), observations(T, 2), observations(T, 3)];
    const finals = [0.4, -0.2, 1.7]; // z | x_{T−1} ~ N(locs[x_{T−1}], 2), one per sequence
    const ys = f64(Array.from({ length: T }, (_, t) => seqs.map((s) => s[t]!))); // [T, 3]
    const model = (y: Tensor) =>
      plate("seqs", 3, () => {
        let prev: Tensor | null = null;
        markov(T, (t) => {
          const probs: Tensor = prev === null ? f64(INIT) : f64(TRANS1).index(prev);
          const x = sample(`x_${t}`, Categorical({ probs }), enumInfer);
          sample(`y_${t}`, new Normal(f64(LOCS).index(x), 1), { obs: row(y, t) });
          prev = x;
        });
        sample("z", new Normal(f64(LOCS).index(prev!), 2), { obs: f64(finals) });
      });
    // the forward algorithm with the final observation folded into the last step
    const want = seqs.reduce((acc, s, n) => {
      let alpha = INIT.slice();
      let ll = 0;
      s.forEach((yv, t) => {
        const next = LOCS.map((mu, j) => {
          const prior = t === 0 ? INIT[j]! : alpha.reduce((a, al, i) => a + al * TRANS1[i]![j]!, 0);
          const extra =
            t === T - 1 ? Math.exp(-0.5 * ((finals[n]! - mu) / 2) ** 2) / (2 * Math.sqrt(2 * Math.PI)) : 1;
          return prior * npdf(yv, mu) * extra;
        });
        const c = next.reduce((a, b) => a + b, 0);
        ll += Math.log(c);
        alpha = next.map((v) => v / c);
      });
      return acc + ll;
    }, 0);
    const { logJoint } = enumLogDensity(model, [ys], {});
    expect(Math.abs(Number((await logJoint.data())[0]) - want)).toBeLessThan(1e-10);
  });

  it("TraceEnumELBO: with no continuous latents the loss is −log p(y)", async () => {
    const T = 12;
    const ys = observations(T, 9);
    const model = (y: Tensor) => hmm2(y, T);
    const loss = new TraceEnumELBO().loss(key(0), {}, model, () => {}, [f64(ys)]);
    const v = Number((await loss.data())[0]);
    // the loss accumulates in float32 (TraceEnumELBO's particle sum starts from a float32 zero)
    expect(Math.abs(v + forward2(ys))).toBeLessThan(1e-5 * Math.abs(forward2(ys)));
  });
});
