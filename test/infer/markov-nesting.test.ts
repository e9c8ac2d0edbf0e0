// `markov` loops where they nest in other structure, under enumeration: a loop inside two
// nested plates with a switch enumerated per outer-plate element, and a loop inside the body
// of an enumerated `scan` (a two-level HMM). The marginal log-likelihood equals the forward
// algorithm computed here independently in float64, to 1e-10 (both sides are exact sums of
// the same few hundred terms; float64 rounding is ~1e-14 relative). inferDiscrete through a
// loop inside a scan: test/infer/infer-discrete-scan-markov.test.ts.
import { plate, sample, scan, type Tensor, tensor } from "@scribe/core";
import { Bernoulli, Categorical, Normal } from "@scribe/distributions";
import { enumLogDensity, markov } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const K = 3;
const INIT = [0.5, 0.3, 0.2];
const TRANS_A = [
  [0.8, 0.15, 0.05],
  [0.1, 0.7, 0.2],
  [0.25, 0.25, 0.5],
];
const TRANS_B = [
  [0.2, 0.5, 0.3],
  [0.6, 0.1, 0.3],
  [0.3, 0.3, 0.4],
];
const LOCS = [-1, 0.5, 2];
const P_G = 0.35;

const f64 = (v: number | number[] | number[][]) => tensor(v, { dtype: "float64" });
const enumInfer = { infer: { enumerate: "parallel" as const } };
const npdf = (x: number, m: number) => Math.exp(-0.5 * (x - m) ** 2) / Math.sqrt(2 * Math.PI);
const logMix = (a: number, b: number) => Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));

/** log p(y) of the HMM with initial distribution `init` and transitions `trans` (scaled forward). */
function forward(ys: number[], trans: number[][], init = INIT): number {
  let alpha = init.slice();
  let ll = 0;
  ys.forEach((y, t) => {
    const next = LOCS.map(
      (m, j) => (t === 0 ? init[j]! : alpha.reduce((s, a, i) => s + a * trans[i]![j]!, 0)) * npdf(y, m),
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

/**
 * Element `i` of the last axis of `y`, that axis kept with size 1: under enumeration a scan's
 * per-step values sit on the rightmost dims with its time dim further left, so dropping an
 * axis would move the time dim.
 */
const lastAt = (y: Tensor, i: number): Tensor => {
  const lead = y.shape.slice(0, -1);
  return y.slice([...lead.map(() => 0), i], [...lead, i + 1]);
};

/**
 * z_init ~ INIT; z_t ~ TRANS_A[z_{t−1}] through scan; inside each step a markov loop over L
 * sub-states, u_0 ~ TRANS_B[z_t], u_l ~ TRANS_A[u_{l−1}], each emitting N(LOCS[u_l], 1) of y[t, l].
 */
function twoLevelHmm(L: number) {
  const trA = f64(TRANS_A);
  const trB = f64(TRANS_B);
  return (y: Tensor) => {
    const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), enumInfer);
    scan(
      (z: Tensor, yt: Tensor) => {
        const next = sample("z", Categorical({ probs: trA.index(z) }), enumInfer);
        let prev: Tensor | null = null;
        markov(L, (l) => {
          const probs: Tensor = prev === null ? trB.index(next) : trA.index(prev);
          const u = sample(`u_${l}`, Categorical({ probs }), enumInfer);
          sample(`v_${l}`, new Normal(f64(LOCS).index(u), 1), { obs: lastAt(yt, l) });
          prev = u;
        });
        return [next, null] as const;
      },
      z0,
      y,
    );
  };
}

describe("markov loops inside nested structure, under enumeration", () => {
  it("inside two nested plates, with a switch per outer element: Σ_a log Σ_g p(g) Π_b forward_g(y_ab)", async () => {
    const T = 6;
    const A = 2;
    const B = 3;
    const seqs = Array.from({ length: A }, (_, a) =>
      Array.from({ length: B }, (_, b) => observations(T, 7 * a + b + 1)),
    );
    // ys [T, B, A]: the outer plate takes dim −1, the inner one dim −2
    const ys = tensor(
      Array.from({ length: T }, (_, t) =>
        Array.from({ length: B }, (_, b) => seqs.map((row) => row[b]![t]!)),
      ).flat(2),
      { dtype: "float64", shape: [T, B, A] },
    );
    const transAB = f64([...TRANS_A, ...TRANS_B]); // row g·K + i
    const model = (y: Tensor) =>
      plate("outer", A, () => {
        const g = sample("g", Bernoulli({ probs: f64(P_G) }), enumInfer).astype("int32");
        plate("inner", B, () => {
          let prev: Tensor | null = null;
          markov(T, (t) => {
            const probs: Tensor = prev === null ? f64(INIT) : transAB.index(g.mul(K).add(prev));
            const x = sample(`x_${t}`, Categorical({ probs }), enumInfer);
            const yt = y.slice([t, 0, 0], [t + 1, B, A]).reshape([B, A]);
            sample(`y_${t}`, new Normal(f64(LOCS).index(x), 1), { obs: yt });
            prev = x;
          });
        });
      });
    const want = seqs.reduce((acc, row) => {
      const per = (trans: number[][]) => row.reduce((s, ys1) => s + forward(ys1, trans), 0);
      return acc + logMix(Math.log(1 - P_G) + per(TRANS_A), Math.log(P_G) + per(TRANS_B));
    }, 0);
    const { logJoint } = enumLogDensity(model, [ys], {});
    expect(Math.abs(Number((await logJoint.data())[0]) - want)).toBeLessThan(1e-10);
  });

  it("inside an enumerated scan: each outer state z_t starts an inner chain over L sub-steps", async () => {
    // z_init ~ INIT; z_t ~ TRANS_A[z_{t−1}] (t = 0..T−1, through scan); given z_t,
    // u_{t,0} ~ TRANS_B[z_t], u_{t,l} ~ TRANS_A[u_{t,l−1}], y_{t,l} ~ N(LOCS[u_{t,l}], 1). The
    // outer forward algorithm's emission of z_t is the inner forward algorithm's likelihood of
    // y_t started from TRANS_B[z_t].
    const T = 5;
    const L = 3;
    const obs = Array.from({ length: T }, (_, t) => observations(L, 31 + t));
    const model = twoLevelHmm(L);
    const lik = (t: number, z: number) => Math.exp(forward(obs[t]!, TRANS_A, TRANS_B[z]!));
    let alpha = INIT.slice();
    let want = 0;
    for (let t = 0; t < T; t++) {
      alpha = LOCS.map((_, j) => alpha.reduce((s, a, i) => s + a * TRANS_A[i]![j]!, 0) * lik(t, j));
      const c = alpha.reduce((a, b) => a + b, 0);
      want += Math.log(c);
      alpha = alpha.map((v) => v / c);
    }
    const { logJoint } = enumLogDensity(model, [f64(obs)], {});
    expect(Math.abs(Number((await logJoint.data())[0]) - want)).toBeLessThan(1e-10);
  });
});
