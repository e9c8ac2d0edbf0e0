import { type Tensor, tensor } from "@scribe/core";
import { BetaNegativeBinomial, bnbLogProb, bnbShapes } from "@scribe/models";
import { describe, expect, it } from "vitest";
import ref from "../fixtures/bnb/bnb_reference.json" with { type: "json" };

// BNB log-pmf (SCRIBE BNB overdispersion, see docs/SOURCES.md) against values computed
// offline by test/fixtures/bnb/generate.py: scipy.stats.betanbinom (betanbinom(n=r, a=κ, b=α))
// and mpmath at 50 digits from the lgamma/lbeta formula.

interface Case {
  u: number;
  r: number;
  alpha: number;
  kappa: number;
  scipy: number | null;
  mpmath: number;
}
const cases = ref.cases as Case[];
const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, Number);
const col = (k: keyof Case, dtype: "float32" | "float64") =>
  tensor(
    cases.map((c) => c[k] as number),
    { dtype },
  );

describe("BetaNegativeBinomial log-pmf", () => {
  it("float64: within 1e-9 (relative) of mpmath over 420 cases; within 1e-9 of scipy where scipy is finite", () => {
    const got = arr(
      bnbLogProb(col("u", "float64"), col("r", "float64"), col("alpha", "float64"), col("kappa", "float64")),
    );
    let worst = 0;
    cases.forEach((c, i) => {
      const e = Math.abs(got[i]! - c.mpmath) / Math.max(1, Math.abs(c.mpmath));
      worst = Math.max(worst, e);
      expect(e).toBeLessThan(1e-9);
      if (c.scipy !== null)
        expect(Math.abs(got[i]! - c.scipy) / Math.max(1, Math.abs(c.scipy))).toBeLessThan(1e-9);
    });
    console.log(`BNB log-pmf float64: worst relative error vs mpmath ${worst.toExponential(2)}`);
  });

  it("float32: within 1e-6 relative (measured 7e-8; float32 rounding of inputs and sums)", () => {
    const got = arr(
      bnbLogProb(col("u", "float32"), col("r", "float32"), col("alpha", "float32"), col("kappa", "float32")),
    );
    let worst = 0;
    cases.forEach((c, i) => {
      // the inputs themselves are rounded to float32 (κ = 2.001 loses ~1e-8 relative)
      const e = Math.abs(got[i]! - c.mpmath) / Math.max(1, Math.abs(c.mpmath));
      worst = Math.max(worst, e);
    });
    console.log(`BNB log-pmf float32: worst relative error vs mpmath ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6);
  });

  it("SCRIBE's shapes from (p, r, ω) keep the NB mean r·p/(1−p); log-pmf matches the reference", () => {
    for (const s of ref.scribe) {
      const { alpha, kappa } = bnbShapes(
        tensor(s.p, { dtype: "float64" }),
        tensor(s.r, { dtype: "float64" }),
        tensor(s.omega, { dtype: "float64" }),
      );
      expect(Math.abs(arr(kappa)[0]! - s.kappa)).toBeLessThan(1e-9 * s.kappa);
      expect(Math.abs(arr(alpha)[0]! - s.alpha)).toBeLessThan(1e-9 * s.alpha);
      const d = new BetaNegativeBinomial(tensor(s.r, { dtype: "float64" }), alpha, kappa);
      const m = arr(d.mean)[0]!;
      expect(Math.abs(m - s.mean)).toBeLessThan(1e-9 * s.mean);
      expect(Math.abs(m - (s.r * s.p) / (1 - s.p))).toBeLessThan(1e-9 * m);
      const us = Object.keys(s.logpmf).map(Number);
      const lp = arr(d.logProb(tensor(us, { dtype: "float64" })));
      us.forEach((u, i) => {
        const want = (s.logpmf as Record<string, number>)[String(u)]!;
        expect(Math.abs(lp[i]! - want)).toBeLessThan(1e-9 * Math.max(1, Math.abs(want)));
      });
    }
  });

  it("sums to 1 and its mean/variance match the closed forms (r=3, α=2.5, κ=12; float64, 1e-9)", () => {
    const d = new BetaNegativeBinomial(
      tensor(3, { dtype: "float64" }),
      tensor(2.5, { dtype: "float64" }),
      tensor(12, { dtype: "float64" }),
    );
    const us = Array.from({ length: 4000 }, (_, i) => i);
    const p = arr(d.logProb(tensor(us, { dtype: "float64" }))).map(Math.exp);
    const total = p.reduce((a, b) => a + b, 0);
    const mean = p.reduce((a, b, i) => a + b * i, 0);
    const m2 = p.reduce((a, b, i) => a + b * i * i, 0);
    expect(Math.abs(total - 1)).toBeLessThan(1e-9);
    expect(Math.abs(mean - arr(d.mean)[0]!)).toBeLessThan(1e-7);
    expect(Math.abs(m2 - mean * mean - arr(d.variance)[0]!) / arr(d.variance)[0]!).toBeLessThan(1e-6);
  });
});
