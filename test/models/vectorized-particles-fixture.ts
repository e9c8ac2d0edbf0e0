// What the vectorized-particles tests of SCRIBE's models share (vectorized-particles-scribe and
// -lowrank): the simulated counts, one particle's guide draws, their stacking as the ELBO's
// particle plate lays them out, and the check that the vectorized ELBO (and its gradient) is the
// mean of the one-particle ELBOs at the same draws (float32: 1e-4 relative, a few roundings of
// sums over 40 cells).
import { handlers, key, random, stack, type Tensor, tensor, trace, valueAndGrad } from "@scribe/core";
import { TraceELBO, TraceMeanFieldELBO } from "@scribe/infer";
import { expect } from "vitest";

const { seed, substitute } = handlers;

/** Cells of the simulated counts. */
export const C = 40;
/** Genes of the simulated counts. */
export const G = 3;

/** NB counts: gene means 2, 5, 10 at p = 0.4 (r = mean·(1 − p)/p), seeded. */
export function simulatedCounts(): Tensor {
  const r = [2, 5, 10].map((m) => (m * 0.6) / 0.4);
  const lam = random.gamma(key(11), tensor(r).expand([C, G])).mul(0.4 / 0.6);
  return random.poisson(key(12), lam);
}

/** One particle's latent draws (sample sites only), with their event ranks. */
export interface Draw {
  values: Record<string, Tensor>;
  eventRank: Record<string, number>;
}

/** The guide's latent draws of one particle (no enclosing plate: the sites themselves). */
export function guideDraw(guide: (c: Tensor) => void, k: ReturnType<typeof key>, counts: Tensor): Draw {
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

/** The name the vectorized guide's site of a one-particle site has (the same, unless renamed). */
export type SiteName = (name: string) => string;
const sameName: SiteName = (name) => name;

/**
 * Particles stacked as a particle plate at dim −(nesting + 1) lays them out: the particle axis,
 * unit axes up to the model's `nesting` batch dims, then the site's own batch and event axes
 * (a scalar p: [n, 1] at nesting 1, [n, 1, 1] at nesting 2), under `siteName`'s names.
 */
export function stacked(
  draws: Draw[],
  nesting: number,
  siteName: SiteName = sameName,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(draws[0]!.values)) {
    const batchRank = v.rank - draws[0]!.eventRank[name]!;
    const pad = new Array<number>(Math.max(0, nesting - batchRank)).fill(1);
    out[siteName(name)] = stack(draws.map((d) => d.values[name]!)).reshape([
      draws.length,
      ...pad,
      ...v.shape,
    ]);
  }
  return out;
}

/** A model and guide under test, the counts, the particles' draws and the vectorized options. */
export interface ParticleCase {
  model: (c: Tensor) => void;
  guide: (c: Tensor) => void;
  counts: Tensor;
  draws: Draw[];
  vectorized: { numParticles: number; vectorizeParticles: boolean; maxPlateNesting: number };
  siteName?: SiteName;
}

/**
 * The vectorized Trace_ELBO at the stacked draws is the mean of the one-particle estimates, and
 * its gradient with respect to particle i's values is 1/n of that particle's own gradient.
 */
export function expectElboAndGradientAreParticleMeans(c: ParticleCase): void {
  const { model, guide, counts, draws, vectorized } = c;
  const siteName = c.siteName ?? sameName;
  const n = vectorized.numParticles;
  // the latent values are the differentiated inputs: the model's log-density depends on them
  // through every broadcast the particle axis meets
  const negElbo = (elbo: TraceELBO, values: Record<string, Tensor>) =>
    elbo.loss(key(0), {}, model, substitute(guide, values), [counts]);
  const vec = new TraceELBO(vectorized);
  const [vLoss, vGrad] = valueAndGrad((v: Record<string, Tensor>) => negElbo(vec, v))(
    stacked(draws, vectorized.maxPlateNesting, siteName),
  );
  const one = new TraceELBO();
  let mean = 0;
  for (const [i, d] of draws.entries()) {
    const [loss, grad] = valueAndGrad((v: Record<string, Tensor>) => negElbo(one, v))(d.values);
    mean += loss.item() / n;
    for (const name of Object.keys(d.values)) {
      const mine = grad[name]!.dataSync();
      // particle i's row of the stacked gradient
      const all = vGrad[siteName(name)]!.dataSync();
      expect(all.length).toBe(mine.length * n);
      for (let j = 0; j < mine.length; j++) {
        const theirs = all[i * mine.length + j]!;
        expect(Math.abs(theirs * n - mine[j]!), `${name}[${j}]`).toBeLessThan(
          1e-4 * (1 + Math.abs(mine[j]!)),
        );
      }
    }
  }
  expect(Math.abs(vLoss.item() - mean)).toBeLessThan(1e-4 * Math.abs(mean));
}

/** The same for the mean-field ELBO (closed-form KL where one exists), loss only. */
export function expectMeanFieldElboIsParticleMean(c: ParticleCase): void {
  const { model, guide, counts, draws, vectorized } = c;
  const negElbo = (elbo: TraceMeanFieldELBO, values: Record<string, Tensor>) =>
    elbo.loss(key(0), {}, model, substitute(guide, values), [counts]).item();
  const vec = negElbo(
    new TraceMeanFieldELBO(vectorized),
    stacked(draws, vectorized.maxPlateNesting, c.siteName ?? sameName),
  );
  const mean = draws.reduce((a, d) => a + negElbo(new TraceMeanFieldELBO(), d.values), 0) / draws.length;
  expect(Math.abs(vec - mean)).toBeLessThan(1e-4 * Math.abs(mean));
}
