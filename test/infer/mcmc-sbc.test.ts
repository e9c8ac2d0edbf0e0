import { key, specialScalar } from "@scribe/core";
import { MCMC, NUTS, type PotentialGradFn } from "@scribe/infer";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../helpers/numeric.js";

// Simulation-based calibration (Talts et al. 2018) on a small hierarchical model:
// μ ~ N(0, 1), θ_j ~ N(μ, 1) for j < J, y_j ~ N(θ_j, 0.5). Parameters (μ, θ).
const J = 4;
const SY = 0.5;

function potentialFor(y: Float64Array): PotentialGradFn {
  return (x, g) => {
    const mu = x[0]!;
    let u = 0.5 * mu * mu;
    g[0] = mu;
    for (let j = 0; j < J; j++) {
      const th = x[1 + j]!;
      const d = th - mu;
      const e = (th - y[j]!) / SY;
      u += 0.5 * d * d + 0.5 * e * e;
      g[0]! -= d;
      g[1 + j] = d + e / SY;
    }
    return u;
  };
}

async function sbc(replications: number, seed: number) {
  const rand = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const L = 99;
  const bins = 10;
  const counts = [new Array<number>(bins).fill(0), new Array<number>(bins).fill(0)];
  for (let r = 0; r < replications; r++) {
    const mu = normal();
    const theta = Float64Array.from({ length: J }, () => mu + normal());
    const y = theta.map((t) => t + SY * normal());
    const mcmc = new MCMC(new NUTS({ potentialFnGrad: potentialFor(y), dim: 1 + J }), {
      numWarmup: 150,
      numSamples: L,
      thinning: 2,
      progressBar: false,
    });
    await mcmc.run(key(seed * 100000 + r));
    const draws = mcmc.getSiteDraws()[0]!.chains[0]!;
    const truth = [mu, theta[0]!];
    for (const [k, idx] of [0, 1].entries()) {
      let rank = 0;
      for (let i = 0; i < L; i++) if (draws[i * (1 + J) + idx]! < truth[k]!) rank++;
      counts[k]![Math.floor((rank * bins) / (L + 1))]!++;
    }
  }
  // Pearson chi-square against uniform ranks; p-value from the regularized upper gamma.
  return counts.map((c) => {
    const e = replications / bins;
    const chi2 = c.reduce((s, o) => s + (o - e) ** 2 / e, 0);
    return { counts: c, chi2, p: specialScalar.gammaincc((bins - 1) / 2, chi2 / 2) };
  });
}

describe("simulation-based calibration", () => {
  it("ranks of μ and θ₀ are uniform (small seeded subset)", async () => {
    for (const r of await sbc(80, 1)) expect(r.p).toBeGreaterThan(1e-3);
  });

  it.runIf(process.env.SCRIBE_SLOW)(
    "ranks of μ and θ₀ are uniform (1000 replications)",
    async () => {
      for (const r of await sbc(1000, 2)) expect(r.p).toBeGreaterThan(1e-3);
    },
    600_000,
  );
});
