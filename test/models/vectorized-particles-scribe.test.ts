/**
 * SCRIBE's models under vectorized particles (NumPyro's `vectorize_particles`): the ELBO's
 * particle plate encloses the model, left of its cell plate, so every site gets a leading
 * particle axis ([n, 1] for a scalar p, [n, G] for r, [n, B] for p_capture). Checked against
 * the same ELBO particle by particle: with the guide's draws fixed (substituted), the
 * vectorized estimate over n particles is the mean of the n one-particle estimates, and its
 * gradient with respect to particle i's values is 1/n of that particle's own gradient (float32:
 * 1e-4 relative, a few roundings of sums over 40 cells). A fit with vectorized particles then
 * finds the same posterior spread as one without (the shape bug fixed in AutoContinuous made
 * such a spread 7–8× too small).
 */
import {
  handlers,
  key,
  plate,
  random,
  sample,
  splitKey,
  type Tensor,
  tensor,
  trace,
  valueAndGrad,
} from "@scribe/core";
import { Beta, LogNormal } from "@scribe/distributions";
import { TraceELBO, TraceMeanFieldELBO } from "@scribe/infer";
import { type ModelOptions, type ModelType, scribeModel } from "@scribe/models";
import { describe, expect, it } from "vitest";
import {
  C,
  expectElboAndGradientAreParticleMeans,
  expectMeanFieldElboIsParticleMean,
  G,
  guideDraw,
  simulatedCounts,
} from "./vectorized-particles-fixture.js";

const { seed, substitute } = handlers;
const N_PARTICLES = 5;
const counts = simulatedCounts();

// nbdm, a capture model, a capture mixture (it needs the particle plate left of its component
// axis: maxPlateNesting 2, given here; the guess is checked below) and the
// two-state capture model (Poisson–Beta), and the biology-informed capture prior with a latent
// centre (capture scaling's mu_eta)
describe.each<[ModelType, Partial<ModelOptions>, number]>([
  ["nbdm", {}, 1],
  ["nbvcp", {}, 1],
  ["zinbvcp", { nComponents: 2 }, 2],
  ["twostatevcp", { parameterization: "natural" }, 1],
  ["nbvcp", { priors: { organism: "human", capture_scaling: "gaussian" } }, 1],
])("%s %o under vectorized particles", (type, extra, nesting) => {
  const { model, guide } = scribeModel(type, { nCells: C, nGenes: G, ...extra });
  const draws = splitKey(key(5), N_PARTICLES).map((k) => guideDraw(guide, k, counts));
  const vectorized = { numParticles: N_PARTICLES, vectorizeParticles: true, maxPlateNesting: nesting };

  const particles = { model, guide, counts, draws, vectorized };

  it("the ELBO is the mean of the one-particle ELBOs at the same draws; so is its gradient", () => {
    expectElboAndGradientAreParticleMeans(particles);
  });

  it("the mean-field ELBO (closed-form KL) too", () => {
    expectMeanFieldElboIsParticleMean(particles);
  });
});

describe("the gradient that sets the fitted posterior spread", () => {
  it("∂ELBO/∂(r_loc, r_scale) of nbdm's mean-field guide: vectorized = mean over particles", () => {
    // r = exp(r_loc + r_scale·ε) with ε fixed per particle (the guide's reparameterized draw,
    // written out), p fixed: the derivative with respect to r_scale is what drives the fitted
    // posterior spread, and a likelihood counted n times (the AutoContinuous bug) scales it
    const { model, guide } = scribeModel("nbdm", { nCells: C, nGenes: G });
    const eps = random.normal(key(21), [N_PARTICLES, G]).dataSync();
    const pDraws = random.uniform(key(22), [N_PARTICLES], 0.3, 0.6).dataSync();
    const params0 = { r_loc: tensor([1, 2, 2.5]), r_scale: tensor([0.3, 0.2, 0.4]) };
    const negElbo = (elbo: TraceELBO, particles: number[]) => (p: Record<string, Tensor>) => {
      const e = tensor(particles.map((i) => Array.from(eps.slice(i * G, i * G + G))));
      let r = p.r_loc!.add(p.r_scale!.mul(e)).exp();
      let pv = tensor(particles.map((i) => [pDraws[i]!]));
      if (particles.length === 1) {
        r = r.reshape([G]);
        pv = pv.reshape([]);
      }
      return elbo.loss(key(0), p, model, substitute(guide, { r, p: pv }), [counts]);
    };
    const all = [...Array(N_PARTICLES).keys()];
    const vec = new TraceELBO({ numParticles: N_PARTICLES, vectorizeParticles: true, maxPlateNesting: 1 });
    const [vLoss, vGrad] = valueAndGrad(negElbo(vec, all))(params0);
    let loss = 0;
    const grad = { r_loc: new Float64Array(G), r_scale: new Float64Array(G) };
    for (const i of all) {
      const [l, g] = valueAndGrad(negElbo(new TraceELBO(), [i]))(params0);
      loss += l.item() / N_PARTICLES;
      for (const n of ["r_loc", "r_scale"] as const)
        g[n]!.dataSync().forEach((v, j) => {
          grad[n][j]! += v / N_PARTICLES;
        });
    }
    expect(Math.abs(vLoss.item() - loss)).toBeLessThan(1e-4 * Math.abs(loss));
    for (const n of ["r_loc", "r_scale"] as const) {
      const got = vGrad[n]!.dataSync();
      for (let j = 0; j < G; j++)
        expect(Math.abs(got[j]! - grad[n][j]!)).toBeLessThan(1e-4 * (1 + Math.abs(grad[n][j]!)));
    }
  });
});

describe("what does not broadcast is refused by name", () => {
  it("an enclosing plate inside the model's own dims", () => {
    const { model } = scribeModel("nbdm", { nCells: C, nGenes: G });
    expect(() =>
      trace(seed(() => plate("outer", 2, { dim: -1 }, () => model(counts)), key(1))).getTrace(),
    ).toThrow(
      "nbdm: the enclosing plate 'outer' sits at dim -1, inside the 1 rightmost batch dims the model uses (its cell plate and parameter axes); place it at dim -2 or further left (for vectorized particles: maxPlateNesting: 1)",
    );
  });

  it("a gene parameter drawn with the gene axis as an event dim and not laid out as the model's site", () => {
    // such a draw is [n, 1, G] under the particle plate, while the model's per-gene prior has
    // batch [n, G]: their log-density would pair every particle with every other. (The low-rank
    // and flow factors lay their draw out as the model's site: vectorized-particles-lowrank.test.ts)
    const { model } = scribeModel("nbdm", { nCells: C, nGenes: G });
    const guide = (_counts: Tensor) => {
      sample("p", new Beta(2, 2));
      sample("r", new LogNormal(tensor([0, 0, 0]), 1).toEvent(1));
    };
    const elbo = new TraceMeanFieldELBO({ numParticles: 3, vectorizeParticles: true });
    expect(() => elbo.loss(key(1), {}, model, guide, [counts])).toThrow(
      "site 'r': value of shape [3,1,3] does not fit the enclosing plates' batch shape [3] left of the model's 1 dims (a guide that draws the site with its axes as event dims must lay the draw out as the model's site, as guides/guide.ts does with alignToSite)",
    );
  });
});

describe("the ELBO's guess of the plate nesting counts unplated batch dims", () => {
  it("a capture mixture's component axis: the guessed nesting gives the given-2 ELBO exactly", () => {
    // the guide draws its own values here (no substitution): from the plates alone the guess
    // was 1, which put the particle plate on the component axis (the model then refused)
    const { model, guide } = scribeModel("zinbvcp", { nCells: C, nGenes: G, nComponents: 2 });
    const loss = (opts: { maxPlateNesting?: number }) =>
      new TraceELBO({ numParticles: N_PARTICLES, vectorizeParticles: true, ...opts })
        .loss(key(9), {}, model, guide, [counts])
        .item();
    const given = loss({ maxPlateNesting: 2 });
    expect(Number.isFinite(given)).toBe(true);
    expect(loss({})).toBe(given);
    // (the plates-only guess): the particle plate lands on the component axis
    expect(() => loss({ maxPlateNesting: 1 })).toThrow(/batch shape/);
  });
});
