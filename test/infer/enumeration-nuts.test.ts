// A change-point model with a discrete switch point under NUTS (the coal-mining-disaster
// model of PyMC's and NumPyro's examples, on 20 fixed counts): the switch point τ is summed
// out of the potential by enumeration, NUTS samples the two rates, and the posterior of τ
// (averaged over the draws of its conditional p(τ | λ₁, λ₂, y), computed here by hand)
// matches the exact posterior, which Gamma–Poisson conjugacy gives in closed form:
// p(τ | y) ∝ Π_segments Γ(a + S) / (b + n)^(a + S) (the common b^a/Γ(a) and Π y! dropped).
import { arange, key, lt, plate, sample, type Tensor, tensor, where } from "@scribe/core";
import { Bernoulli, DiscreteUniform, Gamma, Normal, Poisson } from "@scribe/distributions";
import { inferDiscrete, MCMC, NUTS } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const counts = [2, 1, 3, 2, 0, 2, 3, 1, 2, 4, 6, 5, 7, 4, 6, 8, 5, 6, 7, 5];
const T = counts.length;
const A = 2; // Gamma(concentration 2, rate 0.5) priors on both rates
const B = 0.5;

const model = (y: Tensor) => {
  const lam1 = sample("lam1", new Gamma(A, B));
  const lam2 = sample("lam2", new Gamma(A, B));
  const tau = sample("tau", new DiscreteUniform(0, T), { infer: { enumerate: "parallel" } });
  plate("T", T, () => {
    const rate = where(lt(arange(T), tau), lam1, lam2); // t < τ: before the switch
    sample("y", new Poisson(rate), { obs: y });
  });
};

/** log Γ(k) for integer k ≥ 1. */
const lgammaInt = (k: number) => {
  let s = 0;
  for (let i = 2; i < k; i++) s += Math.log(i);
  return s;
};
const normalize = (logs: number[]) => {
  const m = Math.max(...logs);
  const w = logs.map((l) => Math.exp(l - m));
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / z);
};
/** Exact p(τ | y), τ = 0..T. */
function exactPosterior(): number[] {
  const logs: number[] = [];
  for (let tau = 0; tau <= T; tau++) {
    let l = 0;
    for (const seg of [counts.slice(0, tau), counts.slice(tau)]) {
      const s = seg.reduce((a, b) => a + b, 0);
      l += lgammaInt(A + s) - (A + s) * Math.log(B + seg.length);
    }
    logs.push(l);
  }
  return normalize(logs);
}
/** p(τ | λ₁, λ₂, y), τ = 0..T. */
function conditional(l1: number, l2: number): number[] {
  const logs: number[] = [];
  for (let tau = 0; tau <= T; tau++) {
    let l = 0;
    counts.forEach((c, t) => {
      const r = t < tau ? l1 : l2;
      l += c * Math.log(r) - r;
    });
    logs.push(l);
  }
  return normalize(logs);
}

describe("enumeration under NUTS: a change-point model", () => {
  const switchPointCheck = async (n: number, warmup: number) => {
    const y = tensor(counts);
    const mcmc = new MCMC(new NUTS({ model }), { numWarmup: warmup, numSamples: n, progressBar: false });
    await mcmc.run(key(7), y);
    const s = mcmc.getSamples();
    expect(Object.keys(s).sort()).toEqual(["lam1", "lam2"]); // τ is summed out, not sampled
    const l1 = Array.from(await s.lam1!.data());
    const l2 = Array.from(await s.lam2!.data());
    const est = new Array<number>(T + 1).fill(0);
    const perDraw = l1.map((a, i) => conditional(a, l2[i]!));
    for (const p of perDraw)
      p.forEach((v, k) => {
        est[k]! += v / n;
      });
    const exact = exactPosterior();
    // Tolerance from the MCMC error: 5 Monte Carlo standard errors of the Rao–Blackwellized
    // mean, taking the effective sample size as n/4 (NUTS on two rates mixes better than that),
    // plus 0.005 for the bias of a short warmup.
    exact.forEach((p, k) => {
      const mean = est[k]!;
      const sd = Math.sqrt(perDraw.reduce((a, d) => a + (d[k]! - mean) ** 2, 0) / n);
      expect(Math.abs(mean - p)).toBeLessThan(5 * (sd / Math.sqrt(n / 4)) + 0.005);
    });
    expect(est.indexOf(Math.max(...est))).toBe(exact.indexOf(Math.max(...exact)));

    // inferDiscrete's MAP switch point at given rates is the argmax of the hand conditional.
    for (const [a, b] of [
      [2, 6],
      [1.5, 7],
      [3, 4],
    ] as const) {
      const map = inferDiscrete(model, [y], { params: { lam1: tensor(a), lam2: tensor(b) }, temperature: 0 });
      const c = conditional(a, b);
      expect((await map.tau!.data())[0]).toBe(c.indexOf(Math.max(...c)));
    }
  };
  it("the switch point's posterior matches exact enumeration by hand", { timeout: 120_000 }, () =>
    switchPointCheck(1000, 400),
  );
  it.runIf(process.env.SCRIBE_SLOW === "1")("the same with 8000 draws (slow)", { timeout: 600_000 }, () =>
    switchPointCheck(8000, 1000),
  );

  it("a discrete latent without enumeration is a clear error naming the site", async () => {
    const bad = () => {
      const z = sample("z", Bernoulli({ probs: 0.3 }));
      sample("x", new Normal(z, 1), { obs: tensor(0.5) });
    };
    await expect(() =>
      new MCMC(new NUTS({ model: bad }), { numWarmup: 10, numSamples: 10, progressBar: false }).run(key(0)),
    ).rejects.toThrow(
      /site 'z': HMC\/NUTS cannot sample a discrete latent \(support boolean\); mark it infer: \{ enumerate: "parallel" \}/,
    );
  });
});
