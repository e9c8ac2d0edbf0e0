import { key, sum, type Tensor, tensor, valueAndGrad, zeros } from "@scribe/core";
import {
  BinomialProbs,
  ExpandedDistribution,
  ImproperUniform,
  Independent,
  MaskedDistribution,
  NegativeBinomial2,
  Poisson,
  positive,
  Unit,
} from "@scribe/distributions";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { momentZ } from "../core/random-stats.js";

const t64 = (v: number[], shape?: number[]) => tensor(new Float64Array(v), { shape: shape ?? [v.length] });

describe("ExpandedDistribution", () => {
  it("adds leading axes and grows unit axes with independent draws", () => {
    const d = new Poisson(t64([2, 30], [2, 1])).expand([4, 2, 3]);
    expect(d).toBeInstanceOf(ExpandedDistribution);
    expect(d.batchShape).toEqual([4, 2, 3]);
    const x = d.sample(key(1), [500]);
    expect(x.shape).toEqual([500, 4, 2, 3]);
    const xs = x.dataSync();
    // every (row, col) of the expanded batch is its own Poisson(rate of its row) stream
    for (let j = 0; j < 24; j++) {
      const rate = Math.floor(j / 3) % 2 === 0 ? 2 : 30;
      const { zMean } = momentZ(xs, rate, rate, 1 / rate, 24, j);
      expect(Math.abs(zMean)).toBeLessThan(5);
    }
    // the grown axis is not a copy: columns differ somewhere
    let differ = false;
    for (let i = 0; i < xs.length; i += 3) if (xs[i] !== xs[i + 1]) differ = true;
    expect(differ).toBe(true);
    expect(d.logProb(x).shape).toEqual([500, 4, 2, 3]);
    expect(d.mean.shape).toEqual([4, 2, 3]);
  });

  it("re-expanding wraps the original base; same shape returns the distribution itself", () => {
    const p = new Poisson(t64([1, 2]));
    expect(p.expand([2])).toBe(p);
    const e = p.expand([3, 2]).expand([5, 3, 2]) as ExpandedDistribution;
    expect(e.base).toBe(p);
    expect(() => p.expand([3])).toThrow(/cannot expand/);
  });

  it("logProb broadcasts the base log-density to the expanded batch", () => {
    const e = new NegativeBinomial2(t64([5]), t64([2])).expand([3]);
    const lp = e.logProb(t64([4]));
    expect(lp.shape).toEqual([3]);
    const one = new NegativeBinomial2(t64([5]), t64([2])).logProb(t64([4])).item();
    for (const v of lp.dataSync()) expect(v).toBe(one);
  });
});

describe("Independent / toEvent", () => {
  it("moves batch axes to the event and sums logProb over them", () => {
    const p = new Poisson(t64([1, 2, 3, 4, 5, 6], [2, 3]));
    const ind = p.toEvent(1);
    expect(ind).toBeInstanceOf(Independent);
    expect(ind.batchShape).toEqual([2]);
    expect(ind.eventShape).toEqual([3]);
    const x = t64([0, 1, 2, 3, 4, 5], [2, 3]);
    const lp = ind.logProb(x).dataSync();
    const base = p.logProb(x).dataSync();
    expect(lp[0]).toBeCloseTo(base[0]! + base[1]! + base[2]!, 12);
    expect(p.toEvent().eventShape).toEqual([2, 3]);
    const nested = p.toEvent(1).toEvent(1) as Independent;
    expect(nested.reinterpretedBatchNdims).toBe(2);
    expect(nested.base).toBe(p);
    expect(ind.support.eventDim).toBe(1);
    expect(() => new Independent(p, 3)).toThrow(/reinterpretedBatchNdims/);
  });

  it("expand/toEvent shape algebra (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        fc.nat(3),
        (b, lead, n0) => {
          const size = b.reduce((a, c) => a * c, 1);
          const d = new Poisson(tensor(new Float64Array(size).fill(2), { shape: b }));
          const e = d.expand([...lead, ...b]);
          expect(e.batchShape).toEqual([...lead, ...b]);
          const n = Math.min(n0, e.batchShape.length);
          const ind = e.toEvent(n);
          expect([...ind.batchShape, ...ind.eventShape]).toEqual([...lead, ...b]);
          expect(ind.eventShape.length).toBe(n);
          const x = ind.sample(key(3), [2]);
          expect(x.shape).toEqual([2, ...lead, ...b]);
          expect(ind.logProb(x).shape).toEqual([2, ...ind.batchShape]);
        },
      ),
      { numRuns: 40, seed: 42 },
    );
  });
});

describe("MaskedDistribution", () => {
  const rate = t64([1, 2, 3]);
  const m = tensor([true, false, true], { dtype: "bool" });

  it("constant masks: true is the base, false gives zeros", () => {
    const p = new Poisson(rate);
    expect(p.mask(true)).toBe(p);
    const off = p.mask(false);
    expect(off).toBeInstanceOf(MaskedDistribution);
    expect(Array.from(off.logProb(t64([1, 1, 1])).dataSync())).toEqual([0, 0, 0]);
  });

  it("feasible-value trick: values and gradients finite where masked, even at invalid values", () => {
    const x = t64([2, -3.5, 1]); // −3.5 is outside the support (lfactorial(−3.5) would be NaN-ish)
    const f = (r: Tensor) => sum(new NegativeBinomial2(r, t64([2, 2, 2])).mask(m).logProb(x));
    const [v, g] = valueAndGrad(f)(rate);
    expect(Number.isFinite(v.item())).toBe(true);
    const gs = Array.from((g as Tensor).dataSync());
    for (const gi of gs) expect(Number.isFinite(gi)).toBe(true);
    expect(Math.abs(gs[1]!)).toBe(0);
    const lp = new Poisson(rate).mask(m).logProb(x).dataSync();
    expect(lp[1]).toBe(0);
    expect(lp[0]).toBeCloseTo(new Poisson(rate).logProb(t64([2, 0, 1])).dataSync()[0]!, 14);
  });

  it("feasible values respect parameter-dependent supports (Binomial upper bound)", () => {
    const d = new BinomialProbs(t64([3, 5]), t64([0.3, 0.6])).mask(tensor([false, true], { dtype: "bool" }));
    const lp = d.logProb(t64([9, 2])).dataSync();
    expect(lp[0]).toBe(0);
    expect(Number.isFinite(lp[1]!)).toBe(true);
  });

  it("sampling is unchanged and a broadcasting mask grows the batch", () => {
    const d = new Poisson(t64([4])).mask(tensor([true, false], { dtype: "bool" }));
    expect(d.batchShape).toEqual([2]);
    expect(d.sample(key(0), [3]).shape).toEqual([3, 2]);
  });
});

describe("ImproperUniform and Unit", () => {
  it("ImproperUniform: zero log-density over the batch, no sampler", () => {
    const d = new ImproperUniform(positive, [3], []);
    expect(Array.from(d.logProb(t64([1, 2, 3])).dataSync())).toEqual([0, 0, 0]);
    expect(d.logProb(t64([1, 2, 3, 4, 5, 6], [2, 3])).shape).toEqual([2, 3]);
    expect(d.support).toBe(positive);
    expect(() => d.sample(key(0))).toThrow(/cannot be sampled/);
  });

  it("Unit: empty event, logProb is the log factor", () => {
    const u = new Unit(t64([-1.5, 2]));
    expect(u.eventShape).toEqual([0]);
    expect(u.sample(key(0), [4]).shape).toEqual([4, 2, 0]);
    expect(Array.from(u.logProb(zeros([2, 0], "float64")).dataSync())).toEqual([-1.5, 2]);
    expect(u.logProb(zeros([5, 2, 0], "float64")).shape).toEqual([5, 2]);
  });
});
