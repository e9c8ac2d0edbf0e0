import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { f64, fromRefParams, num } from "./continuous-refvec.js";

interface Case {
  dist: string;
  params: Record<string, unknown>;
  x: unknown;
  expected: unknown;
  tag: string;
}

const cases = JSON.parse(
  readFileSync(new URL("../fixtures/refvec/logprob_continuous.json", import.meta.url), "utf8"),
) as Case[];

/**
 * Relative tolerances for `edge` cases where the closed form cancels large terms in float64
 * (the ordinary cases all use 1e-12).
 */
const EDGE_RTOL: Record<string, number> = {
  // a log b − lgamma(a) − b x with a = b = 1e6 cancels terms of size 1e7 down to ~6
  Gamma: 1e-9,
  InverseGamma: 1e-9,
  // lgamma(Σα) − Σ lgamma(αᵢ) at α = 1e4 cancels terms of size 1e5
  Dirichlet: 1e-10,
  // Cholesky of a correlation-0.999999 matrix loses ~6 digits in 1 − ρ²
  MultivariateNormal: 1e-9,
  // betaln(1e5, 1e5) cancels against terms of size 1e5
  Beta: 1e-11,
};

describe("continuous logProb vs mpmath reference (float64)", () => {
  const worst: Record<string, { rel: number; what: string }> = {
    ordinary: { rel: 0, what: "" },
    edge: { rel: 0, what: "" },
  };
  for (const c of cases) {
    it(`${c.dist} ${JSON.stringify(c.params)} at ${JSON.stringify(c.x)} [${c.tag}]`, () => {
      // Boundary cases (x on the support's edge) are the mathematical limits: evaluate the formula
      // with sample validation off (validation on maps x outside the open support to −∞).
      const d = fromRefParams[c.dist]!(c.params, c.tag !== "boundary");
      const got = d.logProb(f64(c.x)).item();
      const exp = num(c.expected);
      if (!Number.isFinite(exp)) {
        expect(got).toBe(exp);
        return;
      }
      const rtol = c.tag === "ordinary" ? 1e-12 : (EDGE_RTOL[c.dist] ?? 1e-12);
      const rel = Math.abs(got - exp) / Math.max(Math.abs(exp), 1e-300);
      worst[c.tag] ??= { rel: 0, what: "" };
      const w = worst[c.tag]!;
      if (rel > w.rel)
        worst[c.tag] = { rel, what: `${c.dist} ${JSON.stringify(c.params)} x=${JSON.stringify(c.x)}` };
      expect(rel, `got ${got}, expected ${exp}`).toBeLessThanOrEqual(rtol);
    });
  }
  it("reports the worst relative error", () => {
    for (const [tag, w] of Object.entries(worst))
      console.log(`worst relative logProb error [${tag}]: ${w.rel.toExponential(2)} (${w.what})`);
  });
});
