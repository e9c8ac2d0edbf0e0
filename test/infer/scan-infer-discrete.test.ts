// inferDiscrete on an HMM through an enumerated `scan`: the MAP path equals Viterbi's,
// computed here in float64, and posterior draws (one per sequence of a plate of identical
// sequences) have the per-step marginals of the forward–backward algorithm, also computed here.
import { plate, sample, scan, type Tensor, tensor } from "@scribe/core";
import { Categorical, Normal } from "@scribe/distributions";
import { inferDiscrete } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const K = 3;
const TRANS = [
  [0.8, 0.15, 0.05],
  [0.1, 0.7, 0.2],
  [0.25, 0.25, 0.5],
];
const INIT = [0.5, 0.3, 0.2];
const LOCS = [-1, 0.5, 2];
const YS = [0.1, -0.9, 1.7, 2.2, 0.4, 0.3, -1.2, 2.5, 1.0, 0.6];
const T = YS.length;
const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });

/** z_init ~ Cat(init); per step z_t ~ Cat(trans[z_{t−1}]), y_t ~ N(locs[z_t], 1); in a plate of B copies. */
const model = (ys: Tensor, copies: number) =>
  plate("copies", copies, () => {
    const trans = f64(TRANS);
    const locs = f64(LOCS);
    const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), { infer: { enumerate: "parallel" } });
    scan(
      (z: Tensor, y: Tensor) => {
        const next = sample("z", Categorical({ probs: trans.index(z) }), {
          infer: { enumerate: "parallel" },
        });
        sample("y", new Normal(locs.index(next), 1), { obs: y });
        return [next, null] as const;
      },
      z0,
      ys,
    );
  });
const lnpdf = (x: number, m: number) => -0.5 * (x - m) ** 2 - 0.5 * Math.log(2 * Math.PI);

/** Viterbi over (z_init, z_1..z_T). */
function viterbi(): number[] {
  let delta = INIT.map(Math.log);
  const back: number[][] = [];
  for (const y of YS) {
    const ptr: number[] = [];
    delta = LOCS.map((m, j) => {
      let best = -Infinity;
      let arg = 0;
      delta.forEach((d, i) => {
        const v = d + Math.log(TRANS[i]![j]!);
        if (v > best) [best, arg] = [v, i];
      });
      ptr.push(arg);
      return best + lnpdf(y, m);
    });
    back.push(ptr);
  }
  const path = [delta.indexOf(Math.max(...delta))];
  for (let t = T - 1; t >= 0; t--) path.unshift(back[t]![path[0]!]!);
  return path; // length T + 1
}

/** Posterior marginals p(z_t = k | y), t = 0..T (t = 0: z_init), by forward–backward. */
function marginals(): number[][] {
  const alpha: number[][] = [INIT.slice()];
  for (const y of YS) {
    const prev = alpha[alpha.length - 1]!;
    const a = LOCS.map((m, j) => prev.reduce((s, p, i) => s + p * TRANS[i]![j]!, 0) * Math.exp(lnpdf(y, m)));
    const c = a.reduce((s, v) => s + v, 0);
    alpha.push(a.map((v) => v / c));
  }
  const beta: number[][] = [new Array(K).fill(1)];
  for (let t = T - 1; t >= 0; t--) {
    const next = beta[0]!;
    const bt = TRANS.map((row) =>
      row.reduce((s, p, j) => s + p * Math.exp(lnpdf(YS[t]!, LOCS[j]!)) * next[j]!, 0),
    );
    const c = bt.reduce((s, v) => s + v, 0);
    beta.unshift(bt.map((v) => v / c));
  }
  return alpha.map((a, t) => {
    const w = a.map((v, k) => v * beta[t]![k]!);
    const z = w.reduce((s, v) => s + v, 0);
    return w.map((v) => v / z);
  });
}

describe("inferDiscrete through an enumerated scan", () => {
  it("temperature 0 gives Viterbi's path", async () => {
    const out = inferDiscrete(model, [f64(YS.map((y) => [y])), 1], { temperature: 0, maxPlateNesting: 1 });
    const path = [...(await out.z_init!.data()), ...(await out._PREV_z!.data()), ...(await out.z!.data())];
    expect(out.z!.shape).toEqual([T - 1, 1]);
    expect(path).toEqual(viterbi());
  });

  it("temperature 1 draws have the forward–backward marginals", { timeout: 120_000 }, async () => {
    // 400 copies of one sequence in a plate: the copies are independent, so one call gives
    // 400 joint draws. Each marginal frequency is within 4.5 binomial standard errors.
    const copies = 400;
    const ys = f64(YS.map((y) => new Array(copies).fill(y)));
    const out = inferDiscrete(model, [ys, copies], { temperature: 1, rngKey: 5, maxPlateNesting: 1 });
    const zi = await out.z_init!.data(); // [copies]
    const z1 = await out._PREV_z!.data(); // [copies]
    const zs = await out.z!.data(); // [T − 1, copies]
    const draws = (t: number) =>
      Array.from({ length: copies }, (_, c) =>
        t === 0 ? zi[c]! : t === 1 ? z1[c]! : zs[(t - 2) * copies + c]!,
      );
    marginals().forEach((p, t) => {
      const d = draws(t);
      p.forEach((pk, k) => {
        const freq = d.filter((v) => v === k).length / copies;
        expect(Math.abs(freq - pk)).toBeLessThan(4.5 * Math.sqrt((pk * (1 - pk)) / copies) + 1e-3);
      });
    });
  });
});
