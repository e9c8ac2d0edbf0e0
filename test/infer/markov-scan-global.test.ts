// `scan` with a global enumerated variable (issue 22: "scan with global discrete
// variables"): a switch g ~ Bernoulli(0.3), enumerated outside the scan, picks one of two
// transition matrices of an HMM whose hidden states are enumerated through `scan`. The
// marginal log-likelihood must equal log Σ_g p(g) · forward_g(y), the forward algorithm of
// each matrix computed here in float64, to 1e-10; also inside a plate of sequences that
// share the switch.
import { plate, sample, scan, type Tensor, tensor } from "@scribe/core";
import { Bernoulli, Categorical, Normal } from "@scribe/distributions";
import { enumLogDensity } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const K = 3;
const INIT = [0.5, 0.3, 0.2];
const TRANS_A = [
  [0.8, 0.15, 0.05],
  [0.1, 0.7, 0.2],
  [0.25, 0.25, 0.5],
];
const TRANS_B = [
  [0.2, 0.4, 0.4],
  [0.5, 0.1, 0.4],
  [0.3, 0.6, 0.1],
];
const LOCS = [-1, 0.5, 2];
const P_G = 0.3;
const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });
const enumInfer = { infer: { enumerate: "parallel" as const } };

/** The HMM body: z_t ~ trans_g[z_{t−1}], y_t ~ N(locs[z_t], 1), t = 1..T, from z_0 ~ INIT. */
function chain(g: Tensor, ys: Tensor): void {
  const stacked = f64([...TRANS_A, ...TRANS_B]); // row g·K + z
  const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), enumInfer);
  scan(
    (z: Tensor, y: Tensor) => {
      const next = sample(
        "z",
        Categorical({ probs: stacked.index(g.astype("int32").mul(K).add(z)) }),
        enumInfer,
      );
      sample("y", new Normal(f64(LOCS).index(next), 1), { obs: y });
      return [next, null] as const;
    },
    z0,
    ys,
  );
}

const npdf = (x: number, m: number) => Math.exp(-0.5 * (x - m) ** 2) / Math.sqrt(2 * Math.PI);
function forward(ys: number[], trans: number[][]): number {
  let alpha = INIT.slice();
  let ll = 0;
  for (const y of ys) {
    const next = LOCS.map((m, j) => alpha.reduce((s, a, i) => s + a * trans[i]![j]!, 0) * npdf(y, m));
    const c = next.reduce((a, b) => a + b, 0);
    ll += Math.log(c);
    alpha = next.map((v) => v / c);
  }
  return ll;
}
const logMix = (a: number, b: number) => {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};
function observations(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 5 - 1.5;
  });
}

describe("scan with a global enumerated variable", () => {
  it("mixture of two HMMs: log Σ_g p(g) forward_g(y) to 1e-10 (float64)", async () => {
    for (const T of [1, 2, 7, 30]) {
      const ys = observations(T, 11 + T);
      const model = (y: Tensor) => {
        const g = sample("g", Bernoulli({ probs: tensor(P_G, { dtype: "float64" }) }), enumInfer);
        chain(g, y);
      };
      const { logJoint } = enumLogDensity(model, [f64(ys)], {});
      const want = logMix(Math.log(1 - P_G) + forward(ys, TRANS_A), Math.log(P_G) + forward(ys, TRANS_B));
      expect(Math.abs(Number((await logJoint.data())[0]) - want), `T = ${T}`).toBeLessThan(1e-10);
    }
  });

  it("a plate of sequences sharing the switch: log Σ_g p(g) Π_n forward_g(y_n)", async () => {
    const T = 6;
    const seqs = [observations(T, 1), observations(T, 2), observations(T, 3)];
    const ys = f64(Array.from({ length: T }, (_, t) => seqs.map((s) => s[t]!))); // [T, 3]
    const model = (y: Tensor) => {
      const g = sample("g", Bernoulli({ probs: tensor(P_G, { dtype: "float64" }) }), enumInfer);
      plate("seqs", 3, () => chain(g, y));
    };
    const { logJoint } = enumLogDensity(model, [ys], {});
    const per = (trans: number[][]) => seqs.reduce((a, s) => a + forward(s, trans), 0);
    const want = logMix(Math.log(1 - P_G) + per(TRANS_A), Math.log(P_G) + per(TRANS_B));
    expect(Math.abs(Number((await logJoint.data())[0]) - want)).toBeLessThan(1e-10);
  });
});
