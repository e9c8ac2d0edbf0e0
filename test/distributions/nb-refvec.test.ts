import {
  type Distribution,
  GammaPoisson,
  NegativeBinomial2,
  NegativeBinomialLogits,
  NegativeBinomialProbs,
  ZeroInflatedDistribution,
  ZeroInflatedNegativeBinomial2,
} from "@scribe/distributions";
import { describe, expect, it } from "vitest";
import { f64, loadRef, num, relErr } from "./refvec-helpers.js";

// logProb vs ../shared/data/refvec/logprob_negbinom.json (mpmath). Ordinary: 1e-12 relative.
// Edge tolerances (one-line reasons):
// the core kernels take lgamma(k + r) − lgamma(r) − log k! with counts k of 1e5–1e6, whose lgamma
// terms are 1e6–1.3e7 (ulp 2e-10–2e-9) and cancel to O(10): absolute error ≲ 1e-9 there.
const EDGE_TOL: Record<string, number> = {
  NegativeBinomialProbs: 5e-10, // r = 1e6, k ≈ 1e6: terms ~1.3e7 cancel to −8
  NegativeBinomialLogits: 1e-11, // k = 1e5
  NegativeBinomial2: 1e-10, // k = 3e5
  ZeroInflatedNegativeBinomial2: 1e-11, // k = 1e5 through the NB2 kernel
};
// logit-gate forms at k = 0 take a difference of two softplus terms of size ~|logit| + log 2,
// so their error there is absolute (~1e-16), not relative to a log-pmf of −5e-9
const LOGIT_ABS = 1e-15;

const cases = loadRef("logprob_negbinom.json");
const logit = (p: number) => Math.log(p) - Math.log1p(-p);

function build(c: (typeof cases)[number]): { d: Distribution; label: string; tol?: number }[] {
  const p = c.params as Record<string, number>;
  switch (c.dist) {
    case "NegativeBinomialProbs": {
      const out = [
        { d: new NegativeBinomialProbs(f64(p.total_count!), f64(p.probs!)) as Distribution, label: "probs" },
      ];
      return out;
    }
    case "NegativeBinomialLogits":
      return [{ d: new NegativeBinomialLogits(f64(p.total_count!), f64(p.logits!)), label: "logits" }];
    case "NegativeBinomial2":
      return [
        { d: new NegativeBinomial2(f64(p.mean!), f64(p.concentration!)), label: "nb2" },
        // GammaPoisson(θ, θ/μ): the rate θ/μ rounds, then mean = θ/rate rounds again (a few ulp of μ)
        {
          d: new GammaPoisson(f64(p.concentration!), f64(p.concentration! / p.mean!)),
          label: "gamma-poisson",
          tol: 1e-11,
        },
      ];
    case "ZeroInflatedNegativeBinomial2": {
      const g = p.gate!;
      const out: { d: Distribution; label: string; tol?: number }[] = [
        {
          d: ZeroInflatedNegativeBinomial2(f64(p.mean!), f64(p.concentration!), { gate: f64(g) }),
          label: "zinb2-probs",
        },
        {
          d: ZeroInflatedDistribution(new NegativeBinomial2(f64(p.mean!), f64(p.concentration!)), {
            gate: f64(g),
          }),
          label: "zi-generic-probs",
        },
      ];
      // the logits forms get the gate through logit(g), which perturbs log(1 − g) by ~1e-16/(1 − g)
      // and the k = 0 branch (a difference of two softplus of size |logit|) by ~1e-16·|logit|
      if (g > 1e-6 && g < 1 - 1e-6) {
        out.push({
          d: ZeroInflatedNegativeBinomial2(f64(p.mean!), f64(p.concentration!), {
            gateLogits: f64(logit(g)),
          }),
          label: "zinb2-logits",
          tol: 1e-10,
        });
        out.push({
          d: ZeroInflatedDistribution(new NegativeBinomial2(f64(p.mean!), f64(p.concentration!)), {
            gateLogits: f64(logit(g)),
          }),
          label: "zi-generic-logits",
          tol: 1e-10,
        });
      }
      return out;
    }
  }
  throw new Error(`no builder for ${c.dist}`);
}

describe("negative-binomial family logProb reference values (float64)", () => {
  const worst: Record<string, number> = {};
  for (const c of cases) {
    it(`${c.dist} ${JSON.stringify(c.params)} x=${c.x} (${c.tag})`, () => {
      const want = num(c.expected);
      for (const { d, label, tol } of build(c)) {
        const got = d.logProb(f64(c.x as number)).item();
        const err = relErr(got, want);
        const t = Math.max(tol ?? 0, c.tag === "edge" ? EDGE_TOL[c.dist]! : 1e-12);
        const k = `${label}/${c.tag}`;
        worst[k] = Math.max(worst[k] ?? 0, err);
        const absOk = label.includes("logits") && Math.abs(got - want) <= LOGIT_ABS;
        if (!absOk) expect(err, `${label}: got ${got}, want ${want}`).toBeLessThanOrEqual(t);
      }
    });
  }
  it("reports the worst relative errors", () => {
    console.log("NB refvec worst relative error:", JSON.stringify(worst));
  });
});
