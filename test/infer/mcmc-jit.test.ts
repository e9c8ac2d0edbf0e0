// NUTS on a small model compiles its potential and gradient into one straight-line JS
// function on the cpu (`compilePotential`, default on): checked against the handwritten
// eight-schools potential (closed form) and against the path without it (the recorded kernels
// replayed with one `await` per step). Both paths run the same float64 arithmetic in the same
// order, so the same key must give the same draws bit for bit.
import { key, plate, sample, tensor } from "@scribe/core";
import { HalfCauchy, Normal } from "@scribe/distributions";
import { MCMC, NUTS } from "@scribe/infer";
import { describe, expect, it } from "vitest";

const Y8 = [28, 8, -3, 7, -1, 1, 18, 12];
const S8 = [15, 10, 16, 11, 9, 11, 10, 18];

function eightSchools() {
  const y = tensor(Y8, { dtype: "float64" });
  const sigma = tensor(S8, { dtype: "float64" });
  return () => {
    const mu = sample("mu", new Normal(0, 5));
    const tau = sample("tau", new HalfCauchy(5));
    plate("school", 8, () => {
      const tt = sample("theta_tilde", new Normal(0, 1));
      sample("y", new Normal(mu.add(tau.mul(tt)), sigma), { obs: y });
    });
  };
}

/**
 * Eight schools by hand at x = (mu, log tau, theta_tilde[8]), up to an additive constant:
 * N(0, 5) on mu, HalfCauchy(5) on tau with the log-Jacobian u, N(0, 1) on theta_tilde.
 */
function handPotential(x: Float64Array, g: Float64Array): number {
  const mu = x[0]!;
  const u = x[1]!;
  const tau = Math.exp(u);
  const r = (tau / 5) ** 2;
  let pot = (mu * mu) / 50 + Math.log1p(r) - u;
  g[0] = mu / 25;
  g[1] = (2 * r) / (1 + r) - 1;
  for (let j = 0; j < 8; j++) {
    const tt = x[2 + j]!;
    const s2 = S8[j]! ** 2;
    const d = mu + tau * tt - Y8[j]!;
    pot += 0.5 * tt * tt + (0.5 * d * d) / s2;
    g[0] += d / s2;
    g[1] += (d / s2) * tau * tt;
    g[2 + j] = tt + (d / s2) * tau;
  }
  return pot;
}

describe("NUTS with a compiled potential", () => {
  it("the compiled eight-schools potential equals the closed form (up to its constant)", () => {
    const setup = new NUTS({ model: eightSchools() }).setup([]);
    expect(setup.potential).toBeTypeOf("function");
    const g = new Float64Array(10);
    const gh = new Float64Array(10);
    const origin = new Float64Array(10);
    const constant = setup.potential!(origin, g) - handPotential(origin, gh);
    for (let k = 0; k < 5; k++) {
      const x = Float64Array.from({ length: 10 }, (_, i) => Math.sin(7 * k + 3 * i) * 1.5);
      const u = setup.potential!(x, g);
      const uh = handPotential(x, gh);
      // float64 sums of ~10 terms of size ≤ 100: agreement to 1e-11 absolute
      expect(Math.abs(u - uh - constant)).toBeLessThan(1e-11);
      for (let i = 0; i < 10; i++) expect(Math.abs(g[i]! - gh[i]!)).toBeLessThan(1e-11);
    }
    setup.dispose?.();
  });

  it("gives the same draws as the replayed kernels, on the same key", async () => {
    const run = async (compilePotential: boolean) => {
      const mcmc = new MCMC(new NUTS({ model: eightSchools(), compilePotential }), {
        numWarmup: 150,
        numSamples: 100,
        progressBar: false,
      });
      await mcmc.run(key(3));
      return mcmc.chainResults[0]!;
    };
    const compiled = await run(true);
    const replayed = await run(false);
    expect(compiled.extra.numSteps.reduce((a, b) => a + b, 0)).toBeGreaterThan(500);
    expect(Array.from(compiled.extra.numSteps)).toEqual(Array.from(replayed.extra.numSteps));
    expect(Array.from(compiled.positions)).toEqual(Array.from(replayed.positions));
  });

  it("is off with compilePotential: false, and falls back where the potential reads values", async () => {
    expect(new NUTS({ model: eightSchools(), compilePotential: false }).setup([]).potential).toBeUndefined();
    // Value-dependent control flow: the branch taken depends on the latent value.
    const branchy = () => {
      const x = sample("x", new Normal(0, 1));
      if (x.item() > 10) sample("far", new Normal(0, 1), { obs: tensor(0) });
    };
    const kernel = new NUTS({ model: branchy });
    expect(kernel.setup([]).potential).toBeUndefined();
    const mcmc = new MCMC(kernel, { numWarmup: 30, numSamples: 30, progressBar: false });
    await mcmc.run(key(0));
    expect(mcmc.chainResults[0]!.positions.every(Number.isFinite)).toBe(true);
  });
});
