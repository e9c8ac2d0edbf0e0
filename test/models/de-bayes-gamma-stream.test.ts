/**
 * The ziggurat normals and the Gamma draws of the DE stream (de/bayesian/gamma-stream.ts)
 * against closed forms: normal moments (mean 0, var 1, kurtosis 3), the tail beyond the
 * ziggurat's base edge r = 3.4426 (2·(1 − Φ(r)) = 5.76e−4), a KS distance against Φ, and the
 * Gamma mean and variance a and a for shapes on both sides of 1.
 */
import { key, specialScalar } from "@scribe/core";
import { GammaStream } from "@scribe/models/de/bayesian/index.js";
import { describe, expect, it } from "vitest";

describe("GammaStream", () => {
  it("ziggurat normals: moments, the tail past the base layer, and the KS distance to Φ", () => {
    const s = new GammaStream(key(7));
    const n = 400_000;
    const x = new Float64Array(n);
    let m1 = 0;
    let m2 = 0;
    let m4 = 0;
    let tail = 0;
    for (let i = 0; i < n; i++) {
      const v = s.normal();
      x[i] = v;
      m1 += v;
      m2 += v * v;
      m4 += v ** 4;
      if (Math.abs(v) > 3.442619855899) tail++;
    }
    m1 /= n;
    m2 /= n;
    m4 /= n;
    // standard errors at n = 4e5: mean 1/√n = 0.0016, var √(2/n) = 0.0022, kurtosis √(96/n) = 0.015;
    // bounds at about 4 SE
    expect(Math.abs(m1)).toBeLessThan(0.007);
    expect(Math.abs(m2 - 1)).toBeLessThan(0.009);
    expect(Math.abs(m4 - 3)).toBeLessThan(0.06);
    // tail: expected 230 draws (Poisson sd 15): within ±4 sd
    const expected = 2 * (1 - specialScalar.ndtr(3.442619855899)) * n;
    expect(Math.abs(tail - expected)).toBeLessThan(4 * Math.sqrt(expected));
    // KS: √n·D < 1.95 (p ≈ 0.001)
    x.sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const F = specialScalar.ndtr(x[i]!);
      d = Math.max(d, Math.abs(F - i / n), Math.abs(F - (i + 1) / n));
    }
    expect(Math.sqrt(n) * d).toBeLessThan(1.95);
  });

  it("Gamma(a) draws have mean a and variance a (a = 0.3, 1, 2.5, 40)", () => {
    const s = new GammaStream(key(8));
    const n = 200_000;
    for (const a of [0.3, 1, 2.5, 40]) {
      let m = 0;
      let v = 0;
      for (let i = 0; i < n; i++) {
        const g = a >= 1 ? s.gammaAtLeastOne(a) : Math.exp(s.logGamma(a));
        m += g;
        v += g * g;
      }
      m /= n;
      v = v / n - m * m;
      // SE of the mean √(a/n); of the variance about a·√(2 + 6/a)/√n: 5 SE
      expect(Math.abs(m - a)).toBeLessThan(5 * Math.sqrt(a / n));
      expect(Math.abs(v - a)).toBeLessThan((5 * a * Math.sqrt(2 + 6 / a)) / Math.sqrt(n));
    }
  });
});
