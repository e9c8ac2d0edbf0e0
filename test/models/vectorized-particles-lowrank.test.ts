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
import {
  handlers,
  key,
  random,
  splitKey,
  stack,
  type Tensor,
  tensor,
  trace,
  valueAndGrad,
} from "@scribe/core";
import { TraceELBO, TraceMeanFieldELBO } from "@scribe/infer";
import { type ModelOptions, type ModelType, scribeModel } from "@scribe/models";
import { wholeSiteLatentName } from "@scribe/models/guides/guide.js";
import { describe, expect, it } from "vitest";

const { seed, substitute } = handlers;
const C = 40;
const G = 3;
const N_PARTICLES = 4;

/** NB counts: gene means 2, 5, 10 at p = 0.4 (r = mean·(1 − p)/p), seeded. */
function simulatedCounts(): Tensor {
  const r = [2, 5, 10].map((m) => (m * 0.6) / 0.4);
  const lam = random.gamma(key(11), tensor(r).expand([C, G])).mul(0.4 / 0.6);
  return random.poisson(key(12), lam);
}
const counts = simulatedCounts();

interface Draw {
  values: Record<string, Tensor>;
  eventRank: Record<string, number>;
}

/** The guide's latent draws of one particle (no enclosing plate: the sites themselves). */
function guideDraw(guide: (c: Tensor) => void, k: ReturnType<typeof key>): Draw {
  const tr = trace(seed(guide, k)).getTrace(counts);
  const values: Record<string, Tensor> = {};
  const eventRank: Record<string, number> = {};
  for (const s of tr.values())
    if (s.type === "sample" && !s.isObserved) {
      values[s.name] = s.value!;
      eventRank[s.name] = s.fn.eventShape.length;
    }
  return { values, eventRank };
}

/**
 * The particles as the vectorized guide's sites hold them: stacked at the particle plate's dim
 * −(nesting + 1) (the particle axis, unit axes up to the model's `nesting` batch dims, then the
 * site's own batch and event axes); the gene parameter's draw under its auxiliary name.
 */
function stacked(draws: Draw[], nesting: number, gene: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(draws[0]!.values)) {
    const batchRank = v.rank - draws[0]!.eventRank[name]!;
    const pad = new Array<number>(Math.max(0, nesting - batchRank)).fill(1);
    out[name === gene ? wholeSiteLatentName(gene) : name] = stack(draws.map((d) => d.values[name]!)).reshape([
      draws.length,
      ...pad,
      ...v.shape,
    ]);
  }
  return out;
}

describe.each<[ModelType, Partial<ModelOptions>, number, string]>([
  ["nbdm", { guideRank: 2 }, 1, "r"],
  ["nbdm", { guideRank: 2, parameterization: "mean_odds" }, 1, "mu"],
  // a mixture: the factor's event is [K, G], the particle plate left of the component axis
  ["nbdm", { guideRank: 2, nComponents: 2 }, 2, "r"],
  ["nbvcp", { guideRank: 2 }, 1, "r"],
  ["nbdm", { guideFlow: "affine_coupling" }, 1, "r"],
])("%s %o under vectorized particles", (type, extra, nesting, gene) => {
  const { model, guide } = scribeModel(type, { nCells: C, nGenes: G, ...extra });
  const draws = splitKey(key(5), N_PARTICLES).map((k) => guideDraw(guide, k));
  const vectorized = { numParticles: N_PARTICLES, vectorizeParticles: true, maxPlateNesting: nesting };

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
    const negElbo = (elbo: TraceELBO, values: Record<string, Tensor>) =>
      elbo.loss(key(0), {}, model, substitute(guide, values), [counts]);
    const vec = new TraceELBO(vectorized);
    const [vLoss, vGrad] = valueAndGrad((v: Record<string, Tensor>) => negElbo(vec, v))(
      stacked(draws, nesting, gene),
    );
    const one = new TraceELBO();
    let mean = 0;
    for (const [i, d] of draws.entries()) {
      const [loss, grad] = valueAndGrad((v: Record<string, Tensor>) => negElbo(one, v))(d.values);
      mean += loss.item() / N_PARTICLES;
      for (const name of Object.keys(d.values)) {
        const mine = grad[name]!.dataSync();
        const all = vGrad[name === gene ? wholeSiteLatentName(gene) : name]!.dataSync();
        expect(all.length).toBe(mine.length * N_PARTICLES);
        for (let j = 0; j < mine.length; j++) {
          const theirs = all[i * mine.length + j]!;
          expect(Math.abs(theirs * N_PARTICLES - mine[j]!), `${name}[${j}]`).toBeLessThan(
            1e-4 * (1 + Math.abs(mine[j]!)),
          );
        }
      }
    }
    expect(Math.abs(vLoss.item() - mean)).toBeLessThan(1e-4 * Math.abs(mean));
  });

  it("the mean-field ELBO (closed-form KL where one exists) too", () => {
    const negElbo = (elbo: TraceMeanFieldELBO, values: Record<string, Tensor>) =>
      elbo.loss(key(0), {}, model, substitute(guide, values), [counts]).item();
    const vec = negElbo(new TraceMeanFieldELBO(vectorized), stacked(draws, nesting, gene));
    const mean = draws.reduce((a, d) => a + negElbo(new TraceMeanFieldELBO(), d.values), 0) / N_PARTICLES;
    expect(Math.abs(vec - mean)).toBeLessThan(1e-4 * Math.abs(mean));
  });
});
