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
  stack,
  type Tensor,
  tensor,
  trace,
  valueAndGrad,
} from "@scribe/core";
import { Beta, LogNormal } from "@scribe/distributions";
import { TraceELBO, TraceMeanFieldELBO } from "@scribe/infer";
import { type ModelOptions, type ModelType, scribeModel } from "@scribe/models";
import { describe, expect, it } from "vitest";

const { seed, substitute } = handlers;
const C = 40;
const G = 3;
const N_PARTICLES = 5;

/** NB counts: gene means 2, 5, 10 at p = 0.4 (r = mean·(1 − p)/p), seeded. */
function simulatedCounts(): Tensor {
  const r = [2, 5, 10].map((m) => (m * 0.6) / 0.4);
  const lam = random.gamma(key(11), tensor(r).expand([C, G])).mul(0.4 / 0.6);
  return random.poisson(key(12), lam);
}
const counts = simulatedCounts();

/** The guide's latent draws of one particle (sample sites only), with their event ranks. */
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
interface Draw {
  values: Record<string, Tensor>;
  eventRank: Record<string, number>;
}

/**
 * Particles stacked as a particle plate at dim −(nesting + 1) lays them out: the particle axis,
 * unit axes up to the model's `nesting` batch dims, then the site's own batch and event axes
 * (a scalar p: [n, 1] at nesting 1, [n, 1, 1] at nesting 2).
 */
function stacked(draws: Draw[], nesting: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(draws[0]!.values)) {
    const batchRank = v.rank - draws[0]!.eventRank[name]!;
    const pad = new Array<number>(Math.max(0, nesting - batchRank)).fill(1);
    out[name] = stack(draws.map((d) => d.values[name]!)).reshape([draws.length, ...pad, ...v.shape]);
  }
  return out;
}

// nbdm, a capture model, a capture mixture (it needs the particle plate left of its component
// axis: maxPlateNesting 2, which the ELBO's guess from the plates alone cannot see) and the
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
  const draws = splitKey(key(5), N_PARTICLES).map((k) => guideDraw(guide, k));
  const vectorized = { numParticles: N_PARTICLES, vectorizeParticles: true, maxPlateNesting: nesting };

  it("the ELBO is the mean of the one-particle ELBOs at the same draws; so is its gradient", () => {
    // the latent values are the differentiated inputs: the model's log-density depends on them
    // through every broadcast the particle axis meets
    const negElbo = (elbo: TraceELBO, values: Record<string, Tensor>) =>
      elbo.loss(key(0), {}, model, substitute(guide, values), [counts]);
    const vec = new TraceELBO(vectorized);
    const [vLoss, vGrad] = valueAndGrad((v: Record<string, Tensor>) => negElbo(vec, v))(
      stacked(draws, nesting),
    );
    const one = new TraceELBO();
    let mean = 0;
    for (const [i, d] of draws.entries()) {
      const [loss, grad] = valueAndGrad((v: Record<string, Tensor>) => negElbo(one, v))(d.values);
      mean += loss.item() / N_PARTICLES;
      for (const name of Object.keys(d.values)) {
        const mine = grad[name]!.dataSync();
        // particle i's row of the stacked gradient
        const all = vGrad[name]!.dataSync();
        expect(all.length).toBe(mine.length * N_PARTICLES);
        for (let j = 0; j < mine.length; j++) {
          const theirs = all[i * mine.length + j]!;
          expect(Math.abs(theirs * N_PARTICLES - mine[j]!)).toBeLessThan(1e-4 * (1 + Math.abs(mine[j]!)));
        }
      }
    }
    expect(Math.abs(vLoss.item() - mean)).toBeLessThan(1e-4 * Math.abs(mean));
  });

  it("the mean-field ELBO (closed-form KL) too", () => {
    const negElbo = (elbo: TraceMeanFieldELBO, values: Record<string, Tensor>) =>
      elbo.loss(key(0), {}, model, substitute(guide, values), [counts]).item();
    const vec = negElbo(new TraceMeanFieldELBO(vectorized), stacked(draws, nesting));
    const mean = draws.reduce((a, d) => a + negElbo(new TraceMeanFieldELBO(), d.values), 0) / N_PARTICLES;
    expect(Math.abs(vec - mean)).toBeLessThan(1e-4 * Math.abs(mean));
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
