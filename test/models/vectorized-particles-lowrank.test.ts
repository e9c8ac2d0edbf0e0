/**
 * Low-rank (and flow) gene factors under vectorized particles (issue 12). The factor draws the
 * gene parameter with the genes (and a mixture's components) as event dims, so under the
 * ELBO's particle plate its draw is [n, 1, G] while the model's per-gene site is [n, G]; the
 * guide then draws the factor as an auxiliary latent `_r_latent` and the site as a point mass
 * laid out as the model's (guides/guide.ts `sampleWholeSite`). Checked as
 * vectorized-particles-scribe.test.ts checks the mean-field guides: with the guide's draws
 * fixed (substituted), the vectorized −ELBO over n particles is the mean of the n one-particle
 * estimates, and its gradient with respect to particle i's values is 1/n of that particle's own
 * gradient (float32: 1e-4 relative, a few roundings of sums over 40 cells).
 */
import { handlers, key, splitKey, trace } from "@scribe/core";
import { TraceMeanFieldELBO } from "@scribe/infer";
import { type ModelOptions, type ModelType, scribeModel } from "@scribe/models";
import { wholeSiteLatentName } from "@scribe/models/guides/guide.js";
import { describe, expect, it } from "vitest";
import {
  C,
  expectElboAndGradientAreParticleMeans,
  expectMeanFieldElboIsParticleMean,
  G,
  guideDraw,
  simulatedCounts,
} from "./vectorized-particles-fixture.js";

const { seed } = handlers;
const N_PARTICLES = 4;
const counts = simulatedCounts();

describe.each<[ModelType, Partial<ModelOptions>, number, string]>([
  ["nbdm", { guideRank: 2 }, 1, "r"],
  ["nbdm", { guideRank: 2, parameterization: "mean_odds" }, 1, "mu"],
  // a mixture: the factor's event is [K, G], the particle plate left of the component axis
  ["nbdm", { guideRank: 2, nComponents: 2 }, 2, "r"],
  ["nbvcp", { guideRank: 2 }, 1, "r"],
  ["nbdm", { guideFlow: "affine_coupling" }, 1, "r"],
])("%s %o under vectorized particles", (type, extra, nesting, gene) => {
  const { model, guide } = scribeModel(type, { nCells: C, nGenes: G, ...extra });
  const draws = splitKey(key(5), N_PARTICLES).map((k) => guideDraw(guide, k, counts));
  const vectorized = { numParticles: N_PARTICLES, vectorizeParticles: true, maxPlateNesting: nesting };
  // the gene parameter's draw is held under its auxiliary name by the vectorized guide
  const siteName = (name: string) => (name === gene ? wholeSiteLatentName(gene) : name);
  const particles = { model, guide, counts, draws, vectorized, siteName };

  it("the gene factor's draw has the event dims the test assumes; the vectorized site is laid out as the model's", () => {
    const one = draws[0]!;
    const siteRank = one.values[gene]!.rank;
    expect(one.eventRank[gene]).toBe(siteRank);
    const tr = trace(seed(guide, key(1))).getTrace(counts);
    expect(tr.has(wholeSiteLatentName(gene))).toBe(false);
    // one run under the ELBO's particle plate, as the loss runs the guide
    const elbo = new TraceMeanFieldELBO(vectorized);
    const loss = elbo.loss(key(1), {}, model, guide, [counts]).item();
    expect(Number.isFinite(loss)).toBe(true);
  });

  it("the ELBO is the mean of the one-particle ELBOs at the same draws; so is its gradient", () => {
    expectElboAndGradientAreParticleMeans(particles);
  });

  it("the mean-field ELBO (closed-form KL where one exists) too", () => {
    expectMeanFieldElboIsParticleMean(particles);
  });
});
