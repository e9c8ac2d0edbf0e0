import { exp, type Tensor, tensor, valueAndGrad, where } from "@scribe/core";
import {
  NegativeBinomial2,
  nb2InSupportLogProb,
  nb2LogProb,
  nonnegativeInteger,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";

// The NB2 kernel with validation's support check fused in (kernels/negative-binomial.ts) is
// checked against what it replaces: the plain kernel masked by the support constraint,
// where(nonnegativeInteger.check(y), nb2LogProb(y, μ, θ), −∞), computed here independently.

const counts = [0, 1, 3, 16, 17, 250, -1, -4, 2.5, 0.25, Number.NaN, Number.POSITIVE_INFINITY, 7];
const valid = counts.map((y) => y >= 0 && Number.isInteger(y));

function gradients(
  logProb: (y: Tensor, mu: Tensor, th: Tensor) => Tensor,
  dtype: "float32" | "float64",
): { value: number[]; gMu: number[]; gTh: number[] } {
  const y = tensor(counts, { dtype });
  const n = counts.length;
  const params = {
    mu: tensor(
      Array.from({ length: n }, (_, i) => 0.3 + 0.7 * i),
      { dtype },
    ),
    th: tensor(
      Array.from({ length: n }, (_, i) => 0.05 * 2 ** (i % 9)),
      { dtype },
    ),
  };
  const value = Array.from(logProb(y, params.mu, params.th).dataSync());
  const [, g] = valueAndGrad((p: typeof params) =>
    // the −∞ entries are not summed: the gradient of the finite ones is what is compared
    where(tensor(valid), logProb(y, p.mu, p.th), 0).sum(),
  )(params);
  return { value, gMu: Array.from(g.mu.dataSync()), gTh: Array.from(g.th.dataSync()) };
}

describe("NB2 kernel with the support check fused in", () => {
  for (const dtype of ["float64", "float32"] as const)
    it(`equals the masked plain kernel, value and gradients (${dtype})`, () => {
      const fused = gradients(nb2InSupportLogProb, dtype);
      const masked = gradients(
        (y, mu, th) => where(nonnegativeInteger.check(y), nb2LogProb(y, mu, th), -Infinity),
        dtype,
      );
      counts.forEach((y, i) => {
        expect(fused.value[i], `y = ${y}`).toBe(masked.value[i]);
        if (!valid[i]) {
          expect(fused.value[i], `y = ${y}`).toBe(Number.NEGATIVE_INFINITY);
          // zero either way (the mask's cotangent is −0·partial here)
          expect(Math.abs(fused.gMu[i]!) + Math.abs(fused.gTh[i]!), `y = ${y}`).toBe(0);
          return;
        }
        // Same body and same arithmetic on the valid counts: bit for bit.
        expect(fused.gMu[i], `y = ${y}`).toBe(masked.gMu[i]);
        expect(fused.gTh[i], `y = ${y}`).toBe(masked.gTh[i]);
      });
    });

  it("gives zero gradient (not NaN) through an out-of-support count", () => {
    const [v, g] = valueAndGrad((p: { mu: Tensor }) =>
      nb2InSupportLogProb(
        tensor([-2, 2.5, 3], { dtype: "float64" }),
        p.mu,
        tensor([1, 1, 1], { dtype: "float64" }),
      ).sum(),
    )({ mu: tensor([1.5, 1.5, 1.5], { dtype: "float64" }) });
    expect(v.item()).toBe(Number.NEGATIVE_INFINITY);
    expect(Array.from(g.mu.dataSync()).slice(0, 2)).toEqual([0, 0]);
    // the valid count's ∂/∂μ = θ(y − μ)/(μ(θ + μ)), closed form
    expect(g.mu.dataSync()[2]).toBeCloseTo((1 * (3 - 1.5)) / (1.5 * 2.5), 12);
  });

  it("is what NegativeBinomial2.logProb uses with validation on, and off leaves the formula", () => {
    const mean = exp(tensor([0.2, 1.1, -0.4, 0.7]));
    const conc = tensor([2, 0.5, 9, 1.5]);
    const y = tensor([4, -1, 0, 1.5]);
    const on = Array.from(new NegativeBinomial2(mean, conc, true).logProb(y).dataSync());
    const expected = Array.from(
      where(nonnegativeInteger.check(y), nb2LogProb(y, mean, conc), -Infinity).dataSync(),
    );
    expect(on).toEqual(expected);
    expect(on[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(on[3]).toBe(Number.NEGATIVE_INFINITY);
    const off = Array.from(new NegativeBinomial2(mean, conc, false).logProb(y).dataSync());
    expect(off[0]).toBe(on[0]);
    expect(off[3]).toBeGreaterThan(Number.NEGATIVE_INFINITY); // lgamma form at y = 1.5
  });
});

describe("NB2 kernel's log1p(μ/θ) through one log", () => {
  it("keeps log NB(0 | μ, θ) = −θ·log1p(μ/θ) within a few ulps over μ/θ from 1e-300 to 1e300", () => {
    const mus: number[] = [];
    const ths: number[] = [];
    // μ/θ over 600 decades, with ratios near 3/4 (the bound of Goldberg's theorem 4) and near 1
    for (let e = -300; e <= 300; e += 0.37) {
      mus.push(10 ** (e / 2));
      ths.push(10 ** (-e / 2));
    }
    for (const r of [0.7499, 0.75, 0.7501, 1 - 1e-9, 1, 1 + 1e-9, 2 ** -26, 2 ** -52, 2 ** -53]) {
      mus.push(r * 3);
      ths.push(3);
    }
    const got = nb2LogProb(
      tensor(new Float64Array(mus.length)),
      tensor(Float64Array.from(mus)),
      tensor(Float64Array.from(ths)),
    ).dataSync();
    let worst = 0;
    mus.forEach((mu, i) => {
      const th = ths[i]!;
      const want = -th * Math.log1p(mu / th);
      worst = Math.max(worst, Math.abs(got[i]! - want) / Math.abs(want));
    });
    console.log(`log NB(0 | μ, θ) worst relative error vs −θ·Math.log1p(μ/θ): ${worst}`);
    // Goldberg's bound (5ε for the log1p) plus the product with θ and V8's Math.log1p's own
    // error: 8ε ≈ 1.8e-15.
    expect(worst).toBeLessThan(1.8e-15);
  });
});
