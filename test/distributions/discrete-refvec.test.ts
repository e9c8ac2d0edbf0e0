import {
  BetaBinomial,
  BinomialLogits,
  BinomialProbs,
  CategoricalLogits,
  CategoricalProbs,
  type Distribution,
  GeometricLogits,
  GeometricProbs,
  Poisson,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { f64, loadRef, num, relErr } from "./refvec-helpers.js";

// logProb vs ../shared/data/refvec/logprob_discrete.json (mpmath, float64 inputs).
// Tolerances: ordinary 1e-12 relative. Edge cases, per family (the reason in one line):
const EDGE_TOL: Record<string, number> = {
  Poisson: 1e-7, // k log λ − λ − log k! at λ = k = 1e8 cancels terms of size 1.7e9 down to −10 (≈2e-8 relative)
  Binomial: 1e-11, // log C(n, k) via lgammaShiftDiff at n = 1e5 keeps ~1e-13; the rest is exact
  BetaBinomial: 1e-11, // rising-factorial differences; n = 1e5 terms of size ~1e6 cancel to ~10
  Categorical: 1e-12,
  CategoricalLogits: 1e-12,
  Geometric: 1e-12,
};

const cases = loadRef("logprob_discrete.json");

function build(dist: string, p: Record<string, unknown>): Distribution[] {
  const n = (k: string) => f64(p[k] as number);
  switch (dist) {
    case "Poisson":
      return [new Poisson(n("rate"))];
    case "Binomial": {
      const prob = p.probs as number;
      const out: Distribution[] = [new BinomialProbs(n("total_count"), n("probs"))];
      if (prob > 0 && prob < 1 && prob > 1e-6 && prob < 0.99)
        out.push(new BinomialLogits(n("total_count"), f64(Math.log(prob / (1 - prob)))));
      return out;
    }
    case "BetaBinomial":
      return [new BetaBinomial(n("concentration1"), n("concentration0"), n("total_count"))];
    case "Categorical":
      return [new CategoricalProbs(f64(p.probs as number[]))];
    case "CategoricalLogits":
      return [new CategoricalLogits(f64(p.logits as number[]))];
    case "Geometric": {
      const prob = p.probs as number;
      const out: Distribution[] = [new GeometricProbs(n("probs"))];
      if (prob > 1e-6 && prob < 0.99) out.push(new GeometricLogits(f64(Math.log(prob / (1 - prob)))));
      return out;
    }
  }
  throw new Error(`no builder for ${dist}`);
}

describe("discrete logProb reference values (float64)", () => {
  const worst: Record<string, number> = {};
  for (const c of cases) {
    it(`${c.dist} ${JSON.stringify(c.params)} x=${c.x} (${c.tag})`, () => {
      const want = num(c.expected);
      build(c.dist, c.params).forEach((d, i) => {
        const got = d.logProb(f64(c.x as number)).item();
        const err = relErr(got, want);
        // the logits variants go through log(p/(1−p)), which itself perturbs p by ~1e-16/p(1−p)
        const tol = i > 0 ? 1e-10 : c.tag === "edge" ? EDGE_TOL[c.dist]! : 1e-12;
        const k = `${c.dist}${i > 0 ? "(logits)" : ""}/${c.tag}`;
        worst[k] = Math.max(worst[k] ?? 0, err);
        expect(err, `${d.constructor.name}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol);
      });
    });
  }
  it("reports the worst relative errors", () => {
    console.log("discrete refvec worst relative error:", JSON.stringify(worst));
  });
});
