// inferDiscrete through `markov` loops (issue 22): the loop's enumerated sites are decided
// backwards from its forward messages. Two-state chains of T = 6 steps, checked against brute
// force over every joint assignment, computed here in float64: (1) an order-1 HMM whose
// emission scale depends on a regime g ~ Bernoulli(0.4) enumerated outside the loop, with an
// observed site after the loop that reads the last state (2 · 2^6 cases); (2) an order-2 HMM
// (2^6 cases). The MAP equals the brute-force argmax; posterior draws (one per copy of a
// plate of identical sequences) have the exact marginals of every variable and of every pair
// of consecutive states, within 4 binomial standard errors.
import { plate, sample, type Tensor, tensor } from "@scribe/core";
import { Bernoulli, Categorical, Normal } from "@scribe/distributions";
import { inferDiscrete, markov } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const T = 6;
const INIT = [0.6, 0.4];
const TRANS1 = [
  [0.75, 0.25],
  [0.3, 0.7],
];
/** TRANS2[a][b] = p(x_t | x_{t−2} = a, x_{t−1} = b). */
const TRANS2 = [
  [
    [0.9, 0.1],
    [0.35, 0.65],
  ],
  [
    [0.5, 0.5],
    [0.2, 0.8],
  ],
];
const LOCS = [-1, 1.5];
const SCALES = [0.6, 2.0];
const P_G = 0.4;
const YS = [0.2, -1.3, 1.9, 0.4, 3.0, -0.5];
const Y_END = 0.9;
const f64 = (v: number | number[] | number[][]) => tensor(v, { dtype: "float64" });
const enumInfer = { infer: { enumerate: "parallel" as const } };
const row = (y: Tensor, t: number): Tensor => y.slice([t, 0], [t + 1, y.shape[1]!]).reshape([y.shape[1]!]);
const lnpdf = (x: number, m: number, s: number) =>
  -0.5 * ((x - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);

/** Order 1 with a regime: g, x_0..x_{T−1} (markov), y_t ~ N(locs[x_t], scales[g]), y_end ~ N(locs[x_{T−1}], 1). */
const regimeModel = (ys: Tensor, yEnd: Tensor, copies: number) =>
  plate("copies", copies, () => {
    const g = sample("g", Bernoulli({ probs: f64(P_G) }), enumInfer).astype("int32");
    let prev: Tensor | null = null;
    markov(T, (t) => {
      const probs = prev === null ? f64(INIT) : f64(TRANS1).index(prev);
      const x = sample(`x_${t}`, Categorical({ probs }), enumInfer);
      sample(`y_${t}`, new Normal(f64(LOCS).index(x), f64(SCALES).index(g)), { obs: row(ys, t) });
      prev = x;
    });
    sample("y_end", new Normal(f64(LOCS).index(prev!), 1), { obs: yEnd });
  });

/** Order 2: x_0 ~ init, x_1 ~ TRANS1[x_0], x_t ~ TRANS2[x_{t−2}, x_{t−1}]; y_t ~ N(locs[x_t], 1). */
const order2Model = (ys: Tensor, copies: number) =>
  plate("copies", copies, () => {
    let prev2: Tensor | null = null;
    let prev1: Tensor | null = null;
    markov(
      T,
      (t) => {
        const probs =
          prev1 === null
            ? f64(INIT)
            : prev2 === null
              ? f64(TRANS1).index(prev1)
              : f64(TRANS2.flat()).index(prev2.mul(2).add(prev1));
        const x = sample(`x_${t}`, Categorical({ probs }), enumInfer);
        sample(`y_${t}`, new Normal(f64(LOCS).index(x), 1), { obs: row(ys, t) });
        prev2 = prev1;
        prev1 = x;
      },
      { history: 2 },
    );
  });

type Case = { x: number[]; lp: number };
/** Brute force for the regime model: x = [g, x_0..x_{T−1}]. */
function regimeCases(): Case[] {
  const out: Case[] = [];
  for (let g = 0; g < 2; g++)
    for (let code = 0; code < 2 ** T; code++) {
      const x = Array.from({ length: T }, (_, i) => (code >> i) & 1);
      let lp = Math.log(g === 1 ? P_G : 1 - P_G) + lnpdf(Y_END, LOCS[x[T - 1]!]!, 1);
      x.forEach((v, t) => {
        lp += Math.log(t === 0 ? INIT[v]! : TRANS1[x[t - 1]!]![v]!) + lnpdf(YS[t]!, LOCS[v]!, SCALES[g]!);
      });
      out.push({ x: [g, ...x], lp });
    }
  return out;
}
/** Brute force for the order-2 model: x = [x_0..x_{T−1}]. */
function order2Cases(): Case[] {
  return Array.from({ length: 2 ** T }, (_, code) => {
    const x = Array.from({ length: T }, (_, i) => (code >> i) & 1);
    let lp = 0;
    x.forEach((v, t) => {
      const p = t === 0 ? INIT[v]! : t === 1 ? TRANS1[x[0]!]![v]! : TRANS2[x[t - 2]!]![x[t - 1]!]![v]!;
      lp += Math.log(p) + lnpdf(YS[t]!, LOCS[v]!, 1);
    });
    return { x, lp };
  });
}

function expectUniqueMap(cases: Case[]): Case {
  const best = cases.reduce((a, b) => (b.lp > a.lp ? b : a));
  const runner = cases.filter((a) => a !== best).reduce((a, b) => (b.lp > a.lp ? b : a));
  expect(best.lp - runner.lp).toBeGreaterThan(1e-3); // a unique MAP, so the check can fail
  return best;
}

/** Draws (columns: the variables in `names` order) against the exact singles and neighbour pairs. */
function expectPosteriorFrequencies(cases: Case[], draws: number[][], copies: number): void {
  const top = Math.max(...cases.map((c) => c.lp));
  const w = cases.map((c) => Math.exp(c.lp - top));
  const total = w.reduce((s, v) => s + v, 0);
  const se = (p: number) => Math.sqrt((p * (1 - p)) / copies);
  const nVars = cases[0]!.x.length;
  for (let i = 0; i < nVars; i++)
    for (const j of i + 1 < nVars ? [i, i + 1] : [i])
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 2; b++) {
          if (i === j && b > 0) continue;
          const hit = (x: number[]) => x[i] === a && (i === j || x[j] === b);
          const p = cases.reduce((s, c, k) => (hit(c.x) ? s + w[k]! : s), 0) / total;
          let n = 0;
          for (let c = 0; c < copies; c++) if (hit(draws.map((d) => d[c]!))) n++;
          expect(Math.abs(n / copies - p), `vars ${i},${j} = ${a},${b}`).toBeLessThan(4 * se(p) + 1e-3);
        }
}

const cols = (n: number, v: number) => f64(new Array(T).fill(0).map((_, t) => new Array(n).fill(YS[t]! * v)));

describe("inferDiscrete through markov loops", () => {
  it("order 1 with an outer regime: temperature 0 gives the brute-force MAP", async () => {
    const best = expectUniqueMap(regimeCases());
    const out = inferDiscrete(regimeModel, [cols(1, 1), f64([Y_END]), 1], {
      temperature: 0,
      maxPlateNesting: 1,
    });
    const names = ["g", ...Array.from({ length: T }, (_, t) => `x_${t}`)];
    const got = await Promise.all(names.map(async (n) => Number((await out[n]!.data())[0])));
    expect(got).toEqual(best.x);
  });

  it("order 1 with an outer regime: draws have the exact posterior marginals", {
    timeout: 120_000,
  }, async () => {
    const copies = 2000;
    const out = inferDiscrete(regimeModel, [cols(copies, 1), f64(new Array(copies).fill(Y_END)), copies], {
      temperature: 1,
      rngKey: 3,
      maxPlateNesting: 1,
    });
    const names = ["g", ...Array.from({ length: T }, (_, t) => `x_${t}`)];
    const draws = await Promise.all(names.map(async (n) => [...(await out[n]!.data())].map(Number)));
    expectPosteriorFrequencies(regimeCases(), draws, copies);
  });

  it("order 2: the brute-force MAP, and draws with the exact marginals", { timeout: 120_000 }, async () => {
    const best = expectUniqueMap(order2Cases());
    const names = Array.from({ length: T }, (_, t) => `x_${t}`);
    const map = inferDiscrete(order2Model, [cols(1, 1), 1], { temperature: 0, maxPlateNesting: 1 });
    expect(await Promise.all(names.map(async (n) => Number((await map[n]!.data())[0])))).toEqual(best.x);
    const copies = 2000;
    const out = inferDiscrete(order2Model, [cols(copies, 1), copies], {
      temperature: 1,
      rngKey: 4,
      maxPlateNesting: 1,
    });
    const draws = await Promise.all(names.map(async (n) => [...(await out[n]!.data())].map(Number)));
    expectPosteriorFrequencies(order2Cases(), draws, copies);
  });
});
