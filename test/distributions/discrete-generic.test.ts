import { key, sum, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { enableValidation, validationEnabled } from "@scribe/distributions";
import { afterAll, describe, expect, it } from "vitest";
import { chiSquareDiscrete, chiSquareSf, MOMENTS, momentZ } from "../core/random-stats.js";
import { gradCheck } from "../helpers/numeric.js";
import { CASES, type DiscreteCase } from "./discrete-cases.js";
import { relErr } from "./refvec-helpers.js";

type Nested = number | number[] | number[][] | number[][][];

function shapeOf(v: Nested): number[] {
  const s: number[] = [];
  let x: unknown = v;
  while (Array.isArray(x)) {
    s.push(x.length);
    x = x[0];
  }
  return s;
}
const flat = (v: Nested): number[] => (Array.isArray(v) ? ((v as unknown[]).flat(3) as number[]) : [v]);
const t64 = (v: Nested): Tensor => tensor(new Float64Array(flat(v)), { shape: shapeOf(v) });
const params64 = (p: Record<string, Nested>) =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, t64(v)]));

const summary: Record<string, { gofP?: number; fdErr?: number; maxZ?: number }> = {};
afterAll(() => console.log("discrete generic summary:", JSON.stringify(summary)));

const N_MOMENTS = 20000;
const N_GOF = 6000;

describe.each(CASES)("$name", (c: DiscreteCase) => {
  const batched = () => c.make(params64(c.batched as Record<string, Nested>));

  it("shapes: sample and logProb for sampleShape [], [2], [2, 3]", () => {
    const d = batched();
    expect(d.batchShape).toEqual(c.batchShape);
    expect(d.eventShape).toEqual(c.eventShape);
    for (const s of [[], [2], [2, 3]]) {
      const x = d.sample(key(7), s);
      expect(x.shape).toEqual([...s, ...c.batchShape, ...c.eventShape]);
      const lp = d.logProb(x);
      expect(lp.shape).toEqual([...s, ...c.batchShape]);
      for (const v of lp.dataSync()) expect(Number.isFinite(v)).toBe(true);
    }
    expect(d.mean.shape).toEqual([...c.batchShape, ...c.eventShape]);
    expect(d.variance.shape).toEqual([...c.batchShape, ...c.eventShape]);
  });

  it("sample mean / variance agree with the reference moments (|z| < 5)", () => {
    const d = c.make(params64(c.scalar as Record<string, Nested>));
    let mean = Array.from(d.mean.dataSync());
    let variance = Array.from(d.variance.dataSync());
    if (c.momentRef) {
      const ref = MOMENTS.find(
        (m) =>
          m.dist === c.momentRef!.dist &&
          Object.entries(c.momentRef!.params).every(([k, v]) => m.params[k] === v),
      );
      expect(ref, `moments.json entry for ${c.momentRef.dist}`).toBeDefined();
      const rm = ref!.expected.mean as number;
      const rv = ref!.expected.variance as number;
      expect(relErr(mean[0]!, rm)).toBeLessThan(1e-12);
      expect(relErr(variance[0]!, rv)).toBeLessThan(1e-12);
      mean = [rm];
      variance = [rv];
    }
    // Categorical has no numeric mean (NaN, as in NumPyro); the goodness-of-fit test covers it
    if (mean.some(Number.isNaN)) return;
    const x = d.sample(key(11), [N_MOMENTS]).dataSync();
    const K = mean.length;
    for (let j = 0; j < K; j++) {
      const { zMean, zVar } = momentZ(x, mean[j]!, variance[j]!, Number.NaN, K, j);
      summary[c.name] ??= {};
      const e = summary[c.name]!;
      e.maxZ = Math.max(e.maxZ ?? 0, Math.abs(zMean), Math.abs(zVar));
      expect(Math.abs(zMean), `component ${j} mean z`).toBeLessThan(5);
      expect(Math.abs(zVar), `component ${j} variance z`).toBeLessThan(5);
    }
  });

  it("chi-square goodness of fit of samples to exp(logProb) at a fixed seed", () => {
    const d = c.make(params64(c.scalar as Record<string, Nested>));
    const x = d.sample(key(2024), [N_GOF]).dataSync();
    let p: number;
    if ("lo" in c.gof) {
      const { lo, hi } = c.gof;
      const grid = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
      const pmf = d.logProb(tensor(new Float64Array(grid))).dataSync();
      p = chiSquareDiscrete(x, (k) => Math.exp(pmf[k - lo]!), lo, hi, 10).p;
    } else {
      const outs = c.gof.outcomes;
      const K = outs[0]!.length;
      const lp = d.logProb(tensor(new Float64Array(outs.flat()), { shape: [outs.length, K] })).dataSync();
      const index = new Map(outs.map((o, i) => [o.join(","), i]));
      const counts = new Float64Array(outs.length);
      for (let i = 0; i < x.length; i += K) {
        const id = index.get(Array.from(x.slice(i, i + K)).join(","));
        expect(id, "sample outside the enumerated support").toBeDefined();
        counts[id!]!++;
      }
      let stat = 0;
      let total = 0;
      for (let i = 0; i < outs.length; i++) {
        const e = N_GOF * Math.exp(lp[i]!);
        total += Math.exp(lp[i]!);
        stat += ((counts[i]! - e) * (counts[i]! - e)) / e;
      }
      expect(Math.abs(total - 1)).toBeLessThan(1e-12);
      p = chiSquareSf(stat, outs.length - 1);
    }
    summary[c.name] ??= {};
    summary[c.name]!.gofP = p;
    expect(p).toBeGreaterThan(1e-4);
  });

  it("gradients of logProb match central finite differences (float64)", () => {
    const names = Object.keys(c.batched);
    const inputs = names.map((k) => ({
      values: new Float64Array(flat(c.batched[k] as Nested)),
      shape: shapeOf(c.batched[k] as Nested),
    }));
    const value = t64(c.values as Nested);
    const f = (xs: Tensor[]) =>
      sum(c.make(Object.fromEntries(names.map((k, i) => [k, xs[i]!]))).logProb(value));
    // finite differences step off the simplex: check the formula, not the arguments
    const before = validationEnabled();
    enableValidation(false);
    let res: { worst: number; where: string };
    try {
      res = gradCheck(
        f,
        inputs,
        names.map((k) => c.grad.includes(k)),
      );
    } finally {
      enableValidation(before);
    }
    const { worst, where } = res;
    summary[c.name] ??= {};
    summary[c.name]!.fdErr = worst;
    expect(worst, where).toBeLessThan(2e-6);
  });

  it("masked logProb: zero and finite-gradient where masked, even at out-of-support values", () => {
    const names = Object.keys(c.batched);
    const d0 = batched();
    const nb = d0.batchShape.reduce((a, b) => a * b, 1);
    const m = tensor(
      Array.from({ length: nb }, (_, i) => i % 2 === 0),
      { shape: d0.batchShape, dtype: "bool" },
    );
    // valid values where kept, −1 (outside every count support) where masked
    const ev = c.eventShape.reduce((a, b) => a * b, 1);
    const vals = t64(c.values as Nested)
      .expand([...c.batchShape, ...c.eventShape])
      .dataSync()
      .slice();
    for (let i = 0; i < nb; i++) if (i % 2 === 1) for (let j = 0; j < ev; j++) vals[i * ev + j] = -1;
    const value = tensor(new Float64Array(vals), { shape: [...c.batchShape, ...c.eventShape] });
    const f = (xs: Record<string, Tensor>) => sum(c.make(xs).mask(m).logProb(value));
    const [v, g] = valueAndGrad(f)(params64(c.batched as Record<string, Nested>));
    expect(Number.isFinite(v.item())).toBe(true);
    for (const k of c.grad)
      for (const x of (g as Record<string, Tensor>)[k]!.dataSync()) expect(Number.isFinite(x), k).toBe(true);
    const lp = c
      .make(params64(c.batched as Record<string, Nested>))
      .mask(m)
      .logProb(value)
      .dataSync();
    for (let i = 1; i < nb; i += 2) expect(lp[i]).toBe(0);
    expect(names.length).toBeGreaterThan(0);
  });
});
