// inferDiscrete through an enumerated `scan` that carries two state variables (issue 22): a
// factorial HMM, a_t ~ TA[a_{t−1}] (2 states) and b_t ~ TB[b_{t−1}] (3 states), both emitting
// into y_t ~ N(LA[a_t] + LB[b_t], 0.7). The two states are decoded as one product state. Checked
// against brute force over all 2^5 · 3^5 joint assignments (T = 4 observations, initial states
// included), computed here in float64: the MAP equals the brute-force argmax, and posterior
// draws (one per copy of a plate of identical sequences) have the exact marginals of every
// a_t, b_t and (a_t, b_t) pair within 4 binomial standard errors.
import { plate, sample, scan, type Tensor, tensor } from "@scribe/core";
import { Categorical, Normal } from "@scribe/distributions";
import { inferDiscrete } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const INIT_A = [0.55, 0.45];
const INIT_B = [0.45, 0.35, 0.2];
const TA = [
  [0.8, 0.2],
  [0.35, 0.65],
];
const TB = [
  [0.6, 0.3, 0.1],
  [0.2, 0.5, 0.3],
  [0.25, 0.15, 0.6],
];
const LA = [-1, 1];
const LB = [0, 1.5, -2.6];
const SD = 0.7;
const YS = [0.4, -2.6, 1.1, 2.3];
const T = YS.length;
const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });
const enumInfer = { infer: { enumerate: "parallel" as const } };

const model = (ys: Tensor, copies: number) =>
  plate("copies", copies, () => {
    const a0 = sample("a_init", Categorical({ probs: f64(INIT_A) }), enumInfer);
    const b0 = sample("b_init", Categorical({ probs: f64(INIT_B) }), enumInfer);
    scan(
      (c: [Tensor, Tensor], y: Tensor) => {
        const a = sample("a", Categorical({ probs: f64(TA).index(c[0]) }), enumInfer);
        const b = sample("b", Categorical({ probs: f64(TB).index(c[1]) }), enumInfer);
        sample("y", new Normal(f64(LA).index(a).add(f64(LB).index(b)), SD), { obs: y });
        return [[a, b] as [Tensor, Tensor], null] as const;
      },
      [a0, b0] as [Tensor, Tensor],
      ys,
    );
  });

const lnpdf = (x: number, m: number) =>
  -0.5 * ((x - m) / SD) ** 2 - Math.log(SD) - 0.5 * Math.log(2 * Math.PI);

/** Every joint assignment: a[0..T], b[0..T] (index 0: the initial states). */
function cases(): { a: number[]; b: number[]; lp: number }[] {
  const out: { a: number[]; b: number[]; lp: number }[] = [];
  for (let ca = 0; ca < 2 ** (T + 1); ca++)
    for (let cb = 0; cb < 3 ** (T + 1); cb++) {
      const a = Array.from({ length: T + 1 }, (_, i) => (ca >> i) & 1);
      const b = Array.from({ length: T + 1 }, (_, i) => Math.floor(cb / 3 ** i) % 3);
      let lp = Math.log(INIT_A[a[0]!]!) + Math.log(INIT_B[b[0]!]!);
      for (let t = 1; t <= T; t++)
        lp +=
          Math.log(TA[a[t - 1]!]![a[t]!]!) +
          Math.log(TB[b[t - 1]!]![b[t]!]!) +
          lnpdf(YS[t - 1]!, LA[a[t]!]! + LB[b[t]!]!);
      out.push({ a, b, lp });
    }
  return out;
}

/** The decoded states per copy: [a_0..a_T] and [b_0..b_T] for copy c. */
async function statesOf(out: Record<string, Tensor>, copies: number) {
  const get = async (n: string) => [...(await out[n]!.data())].map(Number);
  const [ai, bi, ap, bp, a, b] = await Promise.all(
    ["a_init", "b_init", "_PREV_a", "_PREV_b", "a", "b"].map(get),
  );
  const seq = (init: number[], first: number[], rest: number[], c: number) => [
    init[c]!,
    first[c]!,
    ...Array.from({ length: T - 1 }, (_, t) => rest[t * copies + c]!),
  ];
  return (c: number) => ({ a: seq(ai!, ap!, a!, c), b: seq(bi!, bp!, b!, c) });
}

describe("inferDiscrete: a scan carrying two state variables", () => {
  it("temperature 0 gives the brute-force joint MAP", async () => {
    const all = cases();
    const best = all.reduce((x, y) => (y.lp > x.lp ? y : x));
    const runner = all.filter((x) => x !== best).reduce((x, y) => (y.lp > x.lp ? y : x));
    expect(best.lp - runner.lp).toBeGreaterThan(1e-3); // a unique MAP, so the check can fail
    const out = inferDiscrete(model, [f64(YS.map((y) => [y])), 1], { temperature: 0, maxPlateNesting: 1 });
    expect(out.a!.shape).toEqual([T - 1, 1]);
    const got = (await statesOf(out, 1))(0);
    expect(got).toEqual({ a: best.a, b: best.b });
  });

  it("temperature 1 draws have the exact marginals of a_t, b_t and (a_t, b_t)", {
    timeout: 120_000,
  }, async () => {
    const all = cases();
    const top = Math.max(...all.map((x) => x.lp));
    const w = all.map((x) => Math.exp(x.lp - top));
    const total = w.reduce((s, v) => s + v, 0);
    const copies = 2000;
    const ys = f64(YS.map((y) => new Array(copies).fill(y)));
    const out = inferDiscrete(model, [ys, copies], { temperature: 1, rngKey: 9, maxPlateNesting: 1 });
    const at = await statesOf(out, copies);
    const draws = Array.from({ length: copies }, (_, c) => at(c));
    const se = (p: number) => Math.sqrt((p * (1 - p)) / copies);
    const check = (hit: (s: { a: number[]; b: number[] }) => boolean, what: string) => {
      const p = all.reduce((s, x, i) => (hit(x) ? s + w[i]! : s), 0) / total;
      const f = draws.filter(hit).length / copies;
      expect(Math.abs(f - p), `${what}: ${f} vs ${p}`).toBeLessThan(4 * se(p) + 1e-3);
    };
    for (let t = 0; t <= T; t++)
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++) {
          if (j === 0) check((s) => s.a[t] === i, `a_${t} = ${i}`);
          if (i === 0) check((s) => s.b[t] === j, `b_${t} = ${j}`);
          check((s) => s.a[t] === i && s.b[t] === j, `(a_${t}, b_${t}) = (${i}, ${j})`);
        }
  });
});
