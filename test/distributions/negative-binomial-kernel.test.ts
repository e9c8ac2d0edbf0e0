import { readFileSync } from "node:fs";
import { exp, specialScalar, type Tensor, tensor, valueAndGrad } from "@scribe/core";
import { nb2LogProb, nbLogitsLogProb, nbProbsLogProb, zinb2LogProb } from "@scribe/distributions";
import { describe, expect, it } from "vitest";

const refvec = JSON.parse(
  readFileSync(new URL("../fixtures/refvec/logprob_negbinom.json", import.meta.url), "utf8"),
) as {
  dist: string;
  params: Record<string, number>;
  x: number;
  expected: number | string;
  tag: string;
}[];
const num = (v: number | string) =>
  v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "nan" ? Number.NaN : (v as number);

// The plain definitions the fused kernel is checked against (not the kernel's own branches):
// log NB(y | μ, θ) = lgamma(y+θ) − lgamma(θ) − lgamma(y+1) + θ log(θ/(θ+μ)) + y log(μ/(θ+μ)).
const { lgamma, digamma } = specialScalar;
const nb2LogPmf = (y: number, mu: number, th: number) =>
  y === 0
    ? -th * Math.log1p(mu / th)
    : lgamma(y + th) - lgamma(th) - lgamma(y + 1) - th * Math.log1p(mu / th) - y * Math.log1p(th / mu);
const nb2GradMean = (y: number, mu: number, th: number) => (th * (y - mu)) / (mu * (th + mu));
const nb2GradConc = (y: number, mu: number, th: number) =>
  (y === 0 ? 0 : digamma(y + th) - digamma(th)) - Math.log1p(mu / th) + (mu - y) / (th + mu);

describe("fused negative-binomial kernel", () => {
  it("matches the plain scalar definitions (value and both partials) over counts 0..300", () => {
    const ys: number[] = [];
    const mus: number[] = [];
    const ths: number[] = [];
    for (const y of [0, 1, 2, 5, 15, 16, 17, 40, 300])
      for (const mu of [1e-3, 0.5, 3, 80])
        for (const th of [1e-3, 0.2, 5, 1e4]) {
          ys.push(y);
          mus.push(mu);
          ths.push(th);
        }
    const y = tensor(Float64Array.from(ys));
    const [v, g] = valueAndGrad((p: { mu: Tensor; th: Tensor }) => nb2LogProb(y, p.mu, p.th).sum())({
      mu: tensor(Float64Array.from(mus)),
      th: tensor(Float64Array.from(ths)),
    });
    const expected = ys.reduce((s, yi, i) => s + nb2LogPmf(yi, mus[i]!, ths[i]!), 0);
    expect(Math.abs(v.item() - expected) / Math.abs(expected)).toBeLessThan(1e-12);
    const gm = g.mu.dataSync();
    const gt = g.th.dataSync();
    ys.forEach((yi, i) => {
      expect(gm[i]).toBeCloseTo(nb2GradMean(yi, mus[i]!, ths[i]!), 9);
      const ref = nb2GradConc(yi, mus[i]!, ths[i]!);
      expect(Math.abs(gt[i]! - ref)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(ref)));
    });
  });

  it("agrees with the mpmath reference log-pmfs for NB2, NB probs/logits and ZINB (float64)", () => {
    let checked = 0;
    for (const c of refvec) {
      const x = tensor(new Float64Array([c.x]));
      const p = c.params;
      const t = (v: number) => tensor(new Float64Array([v]));
      let got: number;
      if (c.dist === "NegativeBinomial2") got = nb2LogProb(x, t(p.mean!), t(p.concentration!)).item();
      else if (c.dist === "NegativeBinomialProbs")
        got = nbProbsLogProb(x, t(p.total_count!), t(p.probs!)).item();
      else if (c.dist === "NegativeBinomialLogits")
        got = nbLogitsLogProb(x, t(p.total_count!), t(p.logits!)).item();
      else if (c.dist === "ZeroInflatedNegativeBinomial2")
        got = zinb2LogProb(x, t(p.mean!), t(p.concentration!), t(p.gate!)).item();
      else continue;
      const want = num(c.expected);
      checked++;
      if (!Number.isFinite(want)) {
        expect(got, JSON.stringify(c)).toBe(want);
        continue;
      }
      // ordinary cases: float64 to 1e-12 relative; edge regimes (θ → 0 or ∞, p near 0 or 1) to 1e-9
      const tol = c.tag === "ordinary" ? 1e-12 : 1e-9;
      expect(Math.abs(got - want), `${JSON.stringify(c)} got ${got}`).toBeLessThanOrEqual(
        tol * Math.max(1, Math.abs(want)),
      );
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("float32 W1-style gradients through exp() agree with float64", () => {
    const y = [0, 0, 3, 7, 1, 0];
    const run = (dtype: "float32" | "float64") => {
      const mk = (a: number[]) => tensor(a, { dtype });
      const [v, g] = valueAndGrad((p: { a: Tensor; b: Tensor }) =>
        nb2LogProb(mk(y).reshape([2, 3]), exp(p.a).mul(exp(p.b)), exp(p.b).add(0.5)).sum(),
      )({
        a: mk([0.1, -0.3]).reshape([2, 1]),
        b: mk([0.2, 1.5, -1]).reshape([1, 3]),
      });
      return [v.item(), ...g.a.dataSync(), ...g.b.dataSync()];
    };
    const f32 = run("float32");
    const f64 = run("float64");
    // float32 storage of inputs and outputs: relative 1e-5 (a few ulps through exp and log)
    f32.forEach(
      (v, i) => void expect(Math.abs(v - f64[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(f64[i]!))),
    );
  });
});
