import { type Tensor, tensor } from "@scribe/core";
import {
  assertInSupport,
  boolean,
  corrCholesky,
  dependent,
  Gamma,
  greaterThan,
  greaterThanEq,
  independent,
  integerInterval,
  interval,
  lessThan,
  lowerCholesky,
  MultivariateNormal,
  Normal,
  nonnegative,
  nonnegativeInteger,
  orderedVector,
  positive,
  positiveDefinite,
  positiveInteger,
  real,
  realVector,
  simplex,
  Uniform,
  unitInterval,
  validateArgs,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";

const f64 = (v: number[], shape: number[] = [v.length]) => tensor(new Float64Array(v), { shape });
const bools = (t: Tensor) => Array.from(t.dataSync()).map((v) => v === 1);

describe("constraints: check and feasibleLike", () => {
  it("scalar constraints", () => {
    const x = f64([-1, 0, 0.5, 1, 2, Infinity, NaN]);
    expect(bools(real.check(x))).toEqual([true, true, true, true, true, false, false]);
    expect(bools(positive.check(x))).toEqual([false, false, true, true, true, true, false]);
    expect(bools(nonnegative.check(x))).toEqual([false, true, true, true, true, true, false]);
    expect(bools(unitInterval.check(x))).toEqual([false, true, true, true, false, false, false]);
    expect(bools(interval(0, 2).check(x))).toEqual([false, true, true, true, true, false, false]);
    expect(bools(greaterThan(0.5).check(x))).toEqual([false, false, false, true, true, true, false]);
    expect(bools(greaterThanEq(0.5).check(x))).toEqual([false, false, true, true, true, true, false]);
    expect(bools(lessThan(1).check(x))).toEqual([true, true, true, false, false, false, false]);
    expect(bools(nonnegativeInteger.check(x))).toEqual([false, true, false, true, true, false, false]);
    expect(bools(positiveInteger.check(x))).toEqual([false, false, false, true, true, false, false]);
    expect(bools(integerInterval(0, 1).check(x))).toEqual([false, true, false, true, false, false, false]);
    expect(bools(boolean.check(x))).toEqual([false, true, false, true, false, false, false]);
    expect(nonnegativeInteger.isDiscrete && boolean.isDiscrete && !positive.isDiscrete).toBe(true);
  });

  it("event constraints reduce over their event dims", () => {
    expect(bools(realVector.check(f64([1, 2, NaN, 3], [2, 2])))).toEqual([true, false]);
    expect(bools(independent(positive, 1).check(f64([1, 2, -1, 3], [2, 2])))).toEqual([true, false]);
    expect(bools(simplex.check(f64([0.2, 0.8, 0.5, 0.6], [2, 2])))).toEqual([true, false]);
    expect(bools(orderedVector.check(f64([1, 2, 3, 1, 3, 2], [2, 3])))).toEqual([true, false]);
    const l = f64([1, 0, 0.5, 2, 1, 0.1, 0.5, 2, -1, 0, 0.5, 2], [3, 2, 2]);
    expect(bools(lowerCholesky.check(l))).toEqual([true, false, false]);
    const c = Math.sqrt(0.75);
    expect(bools(corrCholesky.check(f64([1, 0, 0.5, c, 1, 0, 0.5, 2], [2, 2, 2])))).toEqual([true, false]);
    expect(bools(positiveDefinite.check(f64([2, 0.5, 0.5, 1, 1, 2, 2, 1], [2, 2, 2])))).toEqual([
      true,
      false,
    ]);
    expect(independent(simplex, 1).eventDim).toBe(2);
  });

  it("feasibleLike satisfies the constraint", () => {
    const proto = f64(new Array(12).fill(-7), [4, 3]);
    for (const c of [
      real,
      positive,
      nonnegative,
      unitInterval,
      interval(-3, -2),
      greaterThan(5),
      lessThan(-9),
      simplex,
      orderedVector,
      nonnegativeInteger,
    ]) {
      const f = c.feasibleLike(proto);
      expect(f.shape).toEqual(proto.shape);
      expect(bools(c.check(f)).every(Boolean), c.toString()).toBe(true);
    }
    const sq = f64(new Array(8).fill(-1), [2, 2, 2]);
    for (const c of [lowerCholesky, corrCholesky, positiveDefinite])
      expect(bools(c.check(c.feasibleLike(sq))).every(Boolean)).toBe(true);
  });

  it("toString and dependent", () => {
    expect(positive.toString()).toBe("positive");
    expect(interval(0, 2).toString()).toBe("interval(lowerBound=0, upperBound=2)");
    expect(independent(real, 1).toString()).toBe("independent(real, 1)");
    expect(() => dependent.check(f64([1]))).toThrow(/dependent/);
  });
});

describe("argument and sample validation", () => {
  it("names the distribution, argument, constraint, first bad index and value", () => {
    expect(() => new Normal(f64([0, 0, 0, 0]), f64([1, 2, 3, -1]))).toThrow(
      "Normal: argument 'scale' must satisfy positive, but scale[3] = -1",
    );
    expect(() => new Gamma(f64([1, 2, -0.5, 1], [2, 2]), 1)).toThrow(/concentration\[1, 0\] = -0.5/);
    expect(() => new Normal(0, -2)).toThrow("Normal: argument 'scale' must satisfy positive, but scale = -2");
    expect(() => new Normal(f64([0]), f64([-1]), false)).not.toThrow();
    expect(() => new Uniform(2, 1)).toThrow(/Uniform: argument 'high - low' must satisfy positive/);
    expect(
      () => new MultivariateNormal(f64([0, 0]), { covarianceMatrix: f64([1, 2, 2, 1], [2, 2]) }),
    ).toThrow(/argument 'covarianceMatrix' must satisfy positiveDefinite/);
    expect(() => validateArgs("X", { a: f64([1, NaN]) }, { a: real })).toThrow(
      "X: argument 'a' must satisfy real, but a[1] = NaN",
    );
  });

  it("logProb outside the support is −∞ with validation on; assertInSupport throws with the index", () => {
    const g = new Gamma(2, 1);
    const lp = g.logProb(f64([1, -3, 0])).dataSync();
    expect(Number.isFinite(lp[0])).toBe(true);
    expect(lp[1]).toBe(-Infinity);
    expect(lp[2]).toBe(-Infinity);
    expect(new Uniform(0, 1).logProb(f64([1.5])).item()).toBe(-Infinity);
    expect(() => assertInSupport(g, f64([1, -3]))).toThrow(
      "Gamma: value[1] = -3 is outside the support positive",
    );
  });
});
