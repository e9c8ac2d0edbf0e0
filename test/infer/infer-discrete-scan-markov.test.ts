// inferDiscrete on a two-level HMM: an enumerated `scan` over outer states z_t whose body runs a
// `markov` loop over sub-states u_{t,l}. Checked against brute-force enumeration of every joint
// configuration, computed here in float64 (3^10 = 59,049 of them): the MAP at temperature 0 is
// the brute-force argmax, and at temperature 1 a plate of identical copies gives per-site and
// pairwise frequencies within 5 binomial standard errors of the exact posterior probabilities.
import { plate, sample, scan, type Tensor, tensor } from "@scribe/core";
import { Categorical, Normal } from "@scribe/distributions";
import { inferDiscrete, markov } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const K = 3;
const T = 3; // outer steps: step 0 alone, steps 1..2 vectorized
const L = 2; // sub-steps per outer step
const INIT = [0.5, 0.3, 0.2];
const TRANS_A = [
  [0.7, 0.2, 0.1],
  [0.15, 0.6, 0.25],
  [0.3, 0.2, 0.5],
];
// first sub-state given (previous outer state p, current outer state c), row p·K + c: weights
// 1 + 4·[k = p] + 2·[k = c], so that it leans on both (a decoder that held the wrong
// previous state would be far off)
const TRANS_C = Array.from({ length: K * K }, (_, r) => {
  const [p, c] = [Math.floor(r / K), r % K];
  const w = Array.from({ length: K }, (_, k) => 1 + 4 * Number(k === p) + 2 * Number(k === c));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
});
const LOCS_U = [-1, 0.5, 2];
const LOCS_Z = [0, 1.5, -1];
// observations: y[t][l] of the sub-states, w[t] of the outer state
const Y = [
  [0.3, 1.9],
  [-0.8, 0.6],
  [1.4, 2.3],
];
const W = [1.1, -0.4, 0.2];

const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });
const enumInfer = { infer: { enumerate: "parallel" as const } };

/** The model in a plate of `copies` identical copies. */
function model(copies: number) {
  const trA = f64(TRANS_A);
  const trC = f64(TRANS_C);
  const locsU = f64(LOCS_U);
  const locsZ = f64(LOCS_Z);
  const xs = { y0: f64(Y.map((r) => r[0]!)), y1: f64(Y.map((r) => r[1]!)), w: f64(W) };
  return () =>
    plate("copies", copies, () => {
      const zInit = sample("z_init", Categorical({ probs: f64(INIT) }), enumInfer);
      scan(
        (zPrev: Tensor, x: { y0: Tensor; y1: Tensor; w: Tensor }) => {
          const z = sample("z", Categorical({ probs: trA.index(zPrev) }), enumInfer);
          sample("w", new Normal(locsZ.index(z), 1), { obs: x.w });
          let u: Tensor | null = null;
          markov(L, (l) => {
            const probs: Tensor = u === null ? trC.index(zPrev.mul(K).add(z)) : trA.index(u);
            u = sample(`u_${l}`, Categorical({ probs }), enumInfer);
            sample(`y_${l}`, new Normal(locsU.index(u), 1), { obs: l === 0 ? x.y0 : x.y1 });
          });
          return [z, null] as const;
        },
        zInit,
        xs,
      );
    });
}

const lnpdf = (x: number, m: number) => -0.5 * (x - m) ** 2 - 0.5 * Math.log(2 * Math.PI);

/** Every configuration [z_init, z_0..z_{T−1}, u_{0,0}, u_{0,1}, ..., u_{T−1,1}] with its log joint. */
function bruteForce(): { configs: Int8Array[]; logp: Float64Array } {
  const n = 1 + T + T * L;
  const total = K ** n;
  const configs: Int8Array[] = [];
  const logp = new Float64Array(total);
  for (let c = 0; c < total; c++) {
    const v = new Int8Array(n);
    let r = c;
    for (let i = n - 1; i >= 0; i--) {
      v[i] = r % K;
      r = Math.floor(r / K);
    }
    let lp = Math.log(INIT[v[0]!]!);
    for (let t = 0; t < T; t++) {
      const zp = v[t]!; // z_{t−1} (z_init for t = 0)
      const z = v[t + 1]!;
      lp += Math.log(TRANS_A[zp]![z]!) + lnpdf(W[t]!, LOCS_Z[z]!);
      const u0 = v[1 + T + t * L]!;
      const u1 = v[1 + T + t * L + 1]!;
      lp += Math.log(TRANS_C[zp * K + z]![u0]!) + lnpdf(Y[t]![0]!, LOCS_U[u0]!);
      lp += Math.log(TRANS_A[u0]![u1]!) + lnpdf(Y[t]![1]!, LOCS_U[u1]!);
    }
    configs.push(v);
    logp[c] = lp;
  }
  return { configs, logp };
}

/** inferDiscrete's values per configuration slot, for copy `b` of `copies`. */
async function slots(out: Record<string, Tensor>, copies: number): Promise<number[][]> {
  const at = async (name: string) => Array.from(await out[name]!.data(), Number);
  const zInit = await at("z_init"); // [copies]
  const z0 = await at("_PREV_z"); // step 0
  const zs = await at("z"); // [T − 1, copies]
  const u0 = await at("_PREV_u_0");
  const u1 = await at("_PREV_u_1");
  const us0 = await at("u_0"); // [T − 1, copies]
  const us1 = await at("u_1");
  return Array.from({ length: copies }, (_, b) => {
    const row = [zInit[b]!, z0[b]!];
    for (let t = 1; t < T; t++) row.push(zs[(t - 1) * copies + b]!);
    row.push(u0[b]!, u1[b]!);
    for (let t = 1; t < T; t++) row.push(us0[(t - 1) * copies + b]!, us1[(t - 1) * copies + b]!);
    return row;
  });
}

describe("inferDiscrete through a markov loop inside an enumerated scan", () => {
  const { configs, logp } = bruteForce();

  it("temperature 0: the joint MAP equals the brute-force argmax", async () => {
    const order = Array.from(logp.keys()).sort((a, b) => logp[b]! - logp[a]!);
    // the argmax is unique by a clear margin, so the comparison is meaningful
    expect(logp[order[0]!]! - logp[order[1]!]!).toBeGreaterThan(1e-3);
    const out = inferDiscrete(model(2), [], { temperature: 0 });
    expect(out.u_0!.shape).toEqual([T - 1, 2]);
    const got = await slots(out, 2);
    const want = Array.from(configs[order[0]!]!);
    expect(got).toEqual([want, want]);
  });

  it("temperature 1: per-site and pairwise frequencies match the exact posterior", async () => {
    const copies = 2000;
    const out = inferDiscrete(model(copies), [], { temperature: 1, rngKey: 7 });
    const draws = await slots(out, copies);
    const top = Math.max(...logp);
    const w = Array.from(logp, (v) => Math.exp(v - top));
    const z = w.reduce((a, b) => a + b, 0);
    /** The exact posterior probability of an event on configurations. */
    const prob = (event: (c: Int8Array) => boolean) => {
      let s = 0;
      for (let j = 0; j < configs.length; j++) if (event(configs[j]!)) s += w[j]!;
      return s / z;
    };
    const n = configs[0]!.length;
    // the largest |frequency − probability| in standard errors, and where
    let worst = { dev: 0, at: "" };
    let label = "";
    const check = (p: number, hits: number) => {
      const se = Math.sqrt(Math.max(p * (1 - p), 1e-4) / copies);
      const dev = Math.abs(hits / copies - p) / se;
      if (dev > worst.dev) worst = { dev, at: `${label}: ${hits / copies} vs ${p}` };
    };
    for (let i = 0; i < n; i++)
      for (let k = 0; k < K; k++) {
        label = `slot ${i} = ${k}`;
        check(
          prob((c) => c[i] === k),
          draws.filter((d) => d[i] === k).length,
        );
      }
    // pairs across the scan/loop boundary: (z_{t−1}, u_{t,0}), (z_t, u_{t,1}), (u_{1,1}, u_{2,0}), (z_1, z_2)
    const uAt = (t: number, l: number) => 1 + T + t * L + l;
    const pairs: [number, number][] = [
      [1, uAt(1, 0)],
      [2, uAt(2, 0)],
      [3, uAt(2, 1)],
      [uAt(1, 1), uAt(2, 0)],
      [2, 3],
    ];
    for (const [i, j] of pairs)
      for (let a = 0; a < K; a++)
        for (let b = 0; b < K; b++) {
          label = `slots ${i}, ${j} = ${a}, ${b}`;
          check(
            prob((c) => c[i] === a && c[j] === b),
            draws.filter((d) => d[i] === a && d[j] === b).length,
          );
        }
    expect(worst.dev, worst.at).toBeLessThan(5);
  });
});
