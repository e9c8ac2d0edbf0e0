// inferDiscrete through an enumerated `scan` whose steps read an enumerated variable from
// outside the scan (issue 22): a regime g ~ Bernoulli(0.4) sets the emission scale of a
// two-state HMM. The regime is decided first, then the chain given it. Checked against brute
// force over all 2 · 2^(T+1) joint assignments (g, z_init, z_1..z_T), computed here in
// float64: the MAP equals the brute-force argmax, and posterior draws (one per copy of a
// plate of identical sequences, each with its own regime) have the exact posterior's
// marginals of g and of every (g, z_t) pair, within 4 binomial standard errors.
import { plate, sample, scan, type Tensor, tensor } from "@scribe/core";
import { Bernoulli, Categorical, Normal } from "@scribe/distributions";
import { inferDiscrete } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const INIT = [0.6, 0.4];
const TRANS = [
  [0.75, 0.25],
  [0.3, 0.7],
];
const LOCS = [-1, 1.5];
const SCALES = [0.6, 2.0];
const P_G = 0.4;
const YS = [0.2, -1.3, 1.9, 0.4, 3.0, -0.5];
const T = YS.length;
const f64 = (v: number | number[] | number[][]) => tensor(v, { dtype: "float64" });
const enumInfer = { infer: { enumerate: "parallel" as const } };

function chain(g: Tensor, ys: Tensor): void {
  const trans = f64(TRANS);
  const locs = f64(LOCS);
  const scales = f64(SCALES);
  const z0 = sample("z_init", Categorical({ probs: f64(INIT) }), enumInfer);
  scan(
    (z: Tensor, y: Tensor) => {
      const next = sample("z", Categorical({ probs: trans.index(z) }), enumInfer);
      sample("y", new Normal(locs.index(next), scales.index(g.astype("int32"))), { obs: y });
      return [next, null] as const;
    },
    z0,
    ys,
  );
}

/** One regime for every copy (g outside the plate). */
const globalModel = (ys: Tensor, copies: number) => {
  const g = sample("g", Bernoulli({ probs: f64(P_G) }), enumInfer);
  plate("copies", copies, () => chain(g, ys));
};
/** A regime per copy (g inside the plate): the copies are independent joint draws. */
const perCopyModel = (ys: Tensor, copies: number) =>
  plate("copies", copies, () => {
    const g = sample("g", Bernoulli({ probs: f64(P_G) }), enumInfer);
    chain(g, ys);
  });

const lnpdf = (x: number, m: number, s: number) =>
  -0.5 * ((x - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);

/** Every joint assignment [g, z_init, z_1..z_T] with its log joint density. */
function allAssignments(): { x: number[]; lp: number }[] {
  const out: { x: number[]; lp: number }[] = [];
  for (let g = 0; g < 2; g++)
    for (let code = 0; code < 2 ** (T + 1); code++) {
      const z = Array.from({ length: T + 1 }, (_, i) => (code >> i) & 1);
      let lp = Math.log(g === 1 ? P_G : 1 - P_G) + Math.log(INIT[z[0]!]!);
      for (let t = 1; t <= T; t++)
        lp += Math.log(TRANS[z[t - 1]!]![z[t]!]!) + lnpdf(YS[t - 1]!, LOCS[z[t]!]!, SCALES[g]!);
      out.push({ x: [g, ...z], lp });
    }
  return out;
}

describe("inferDiscrete: scan reading an outer enumerated variable", () => {
  it("temperature 0 gives the brute-force joint MAP (regime and path)", async () => {
    const all = allAssignments();
    const best = all.reduce((a, b) => (b.lp > a.lp ? b : a));
    const runner = all.filter((a) => a !== best).reduce((a, b) => (b.lp > a.lp ? b : a));
    expect(best.lp - runner.lp).toBeGreaterThan(1e-3); // the MAP is unique, so the check can fail
    const out = inferDiscrete(globalModel, [f64(YS.map((y) => [y])), 1], {
      temperature: 0,
      maxPlateNesting: 1,
    });
    const got = [
      ...(await out.g!.data()),
      ...(await out.z_init!.data()),
      ...(await out._PREV_z!.data()),
      ...(await out.z!.data()),
    ].map(Number);
    expect(got).toEqual(best.x);
  });

  it("the MAP also when the regime is per copy (g inside the plate)", async () => {
    const best = allAssignments().reduce((a, b) => (b.lp > a.lp ? b : a));
    const out = inferDiscrete(perCopyModel, [f64(YS.map((y) => [y, y])), 2], {
      temperature: 0,
      maxPlateNesting: 1,
    });
    const g = [...(await out.g!.data())].map(Number);
    const zs = [...(await out.z!.data())].map(Number); // [T − 1, 2]
    expect(g).toEqual([best.x[0], best.x[0]]);
    expect(zs.filter((_, i) => i % 2 === 0)).toEqual(best.x.slice(3));
    expect(zs.filter((_, i) => i % 2 === 1)).toEqual(best.x.slice(3));
  });

  it("temperature 1 draws have the exact posterior marginals of g and (g, z_t)", {
    timeout: 120_000,
  }, async () => {
    const all = allAssignments();
    const top = Math.max(...all.map((a) => a.lp));
    const w = all.map((a) => Math.exp(a.lp - top));
    const total = w.reduce((s, v) => s + v, 0);
    /** Exact P(g = gv, z_t = k) (t = 0: z_init), or P(g = gv) with t = −1. */
    const exact = (gv: number, t: number, k: number) =>
      all.reduce((s, a, i) => (a.x[0] === gv && (t < 0 || a.x[t + 1] === k) ? s + w[i]! : s), 0) / total;
    expect(exact(1, -1, 0)).toBeGreaterThan(0.05); // the regime is uncertain a posteriori
    expect(exact(1, -1, 0)).toBeLessThan(0.95);
    const copies = 2000;
    const ys = f64(YS.map((y) => new Array(copies).fill(y)));
    const out = inferDiscrete(perCopyModel, [ys, copies], { temperature: 1, rngKey: 7, maxPlateNesting: 1 });
    const g = await out.g!.data();
    const zi = await out.z_init!.data();
    const z1 = await out._PREV_z!.data();
    const zs = await out.z!.data(); // [T − 1, copies]
    const state = (t: number, c: number) =>
      Number(t === 0 ? zi[c] : t === 1 ? z1[c] : zs[(t - 2) * copies + c]);
    const se = (p: number) => Math.sqrt((p * (1 - p)) / copies);
    for (let gv = 0; gv < 2; gv++) {
      const pg = exact(gv, -1, 0);
      const fg =
        Array.from({ length: copies }, (_, c) => Number(g[c]) === gv).filter(Boolean).length / copies;
      expect(Math.abs(fg - pg)).toBeLessThan(4 * se(pg) + 1e-3);
      for (let t = 0; t <= T; t++)
        for (let k = 0; k < 2; k++) {
          const p = exact(gv, t, k);
          let hits = 0;
          for (let c = 0; c < copies; c++) if (Number(g[c]) === gv && state(t, c) === k) hits++;
          expect(Math.abs(hits / copies - p)).toBeLessThan(4 * se(p) + 1e-3);
        }
    }
  });
});
