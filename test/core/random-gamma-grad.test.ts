import { gamma, gammaReparamGrad, gammaReparamGradAt, key } from "@scribe/core/random/index.js";
import { gammainc } from "@scribe/core/special/scalar/index.js";
import { describe, expect, it } from "vitest";

/**
 * x(alpha) = P^{-1}(alpha, u): the unit-rate gamma quantile, solved by bisection on
 * log x (200 halvings of [-745, 745] reach float64 resolution), using only the forward
 * regularized incomplete gamma function.
 */
function gammaQuantile(alpha: number, u: number): number {
  let lo = -745;
  let hi = Math.log(alpha) + 60;
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (gammainc(alpha, Math.exp(mid)) < u) lo = mid;
    else hi = mid;
  }
  return Math.exp(0.5 * (lo + hi));
}

describe("gammaReparamGrad", () => {
  // Central difference of the log-quantile in alpha at fixed u, step h = 1e-4 alpha:
  // the truncation error is O(h^2) (< 1e-7 relative on these cases) and the bisection
  // error ~ 1e-15 / h, so a relative tolerance of 1e-5 leaves a wide margin.
  const alphas = [0.05, 0.3, 1, 2.5, 10, 150];
  const us = [0.01, 0.3, 0.5, 0.9, 0.999];
  const cases = alphas.flatMap((a) => us.map((u) => [a, u] as const));
  let worst = 0;
  it.each(cases)("alpha=%d u=%d", (alpha, u) => {
    const h = 1e-4 * alpha;
    const x = gammaQuantile(alpha, u);
    // differentiate log x: x(alpha) varies like u^(1/alpha), exponentially for small alpha
    const fd =
      (x * (Math.log(gammaQuantile(alpha + h, u)) - Math.log(gammaQuantile(alpha - h, u)))) / (2 * h);
    const g = gammaReparamGradAt(x, alpha);
    const rel = Math.abs(g - fd) / Math.abs(fd);
    worst = Math.max(worst, rel);
    expect(g).toBeGreaterThan(0);
    expect(rel).toBeLessThan(1e-5);
  });

  it("vectorized form matches the scalar form; edge values", () => {
    const xs = gamma(key(40), 50, 3);
    const g = gammaReparamGrad(xs, 3);
    for (let i = 0; i < 50; i++) expect(g[i]).toBe(gammaReparamGradAt(xs[i]!, 3));
    expect(gammaReparamGradAt(0, 2)).toBe(0);
    expect(() => gammaReparamGradAt(1, 0)).toThrow(RangeError);
    expect(() => gammaReparamGradAt(-1, 1)).toThrow(RangeError);
  });

  it("reports the worst relative error", () => {
    console.log(`gammaReparamGrad worst relative error vs finite difference: ${worst.toExponential(2)}`);
  });
});
