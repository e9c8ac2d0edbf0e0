/**
 * ELBO losses: `TraceELBO` (Monte Carlo, with score-function terms for guide sites without
 * a reparameterized sampler) and `TraceMeanFieldELBO` (analytic KL where registered).
 * Each returns −ELBO averaged over particles.
 * @module
 */
import {
  type Key,
  plate,
  replay,
  type SampleMessage,
  scalar,
  seed,
  splitKey,
  stopGradient,
  substitute,
  type Tensor,
  type Trace,
  trace,
} from "@scribe/core";
import { type Distribution, kl } from "@scribe/distributions";
import { maxPlateNestingOf } from "../enumeration/factors.js";
import { siteLogProb } from "../util/log-density.js";
import { checkModelGuideMatch } from "../util/sites.js";

/** A model or guide: any function whose sites are seen by the handlers. */
export type ModelFn<A extends unknown[]> = (...args: A) => unknown;

/** The interface SVI needs from a loss. */
export interface ELBOLoss {
  /** −ELBO at the (constrained) params, averaged over particles. */
  loss<A extends unknown[]>(
    rngKey: Key,
    params: Record<string, Tensor>,
    model: ModelFn<A>,
    guide: ModelFn<A>,
    args: A,
  ): Tensor;
}

/** Options of the ELBOs. */
export interface ELBOOptions {
  /** Number of Monte Carlo particles averaged per loss evaluation (default 1). */
  numParticles?: number;
  /**
   * Draw all particles in one pass (NumPyro's and Pyro's `vectorize_particles`): model and guide
   * run inside an outer plate of size `numParticles` at dim −(maxPlateNesting + 1), so each
   * site gets a leading particle axis instead of the loss tracing them one by one. The model
   * and guide must broadcast over that new batch axis (use plates, not fixed shapes). Default
   * false.
   */
  vectorizeParticles?: boolean;
  /**
   * Deepest plate nesting of the model and guide (NumPyro's `max_plate_nesting`), which places
   * the particle plate; found from one trace of each when omitted (the deepest plate or the most
   * batch dims of any site, whichever is larger).
   */
  maxPlateNesting?: number;
}

/** Name of the plate that carries vectorized particles (Pyro's name for it). */
export const PARTICLE_PLATE = "num_particles_vectorized";

/** Run guide then model (replaying the guide) for one particle. @internal */
export function traceParticle<A extends unknown[]>(
  rngKey: Key,
  params: Record<string, Tensor>,
  model: ModelFn<A>,
  guide: ModelFn<A>,
  args: A,
): { modelTrace: Trace; guideTrace: Trace } {
  const [kGuide, kModel] = splitKey(rngKey, 2);
  const guideTrace = trace(seed(substitute(guide, params), kGuide!)).getTrace(...args);
  const modelTrace = trace(replay(seed(substitute(model, params), kModel!), guideTrace)).getTrace(...args);
  checkModelGuideMatch(modelTrace, guideTrace);
  return { modelTrace, guideTrace };
}

function sampleSites(tr: Trace): SampleMessage[] {
  return [...tr.values()].filter((s): s is SampleMessage => s.type === "sample");
}

/**
 * How a site's log-density (or KL) is summed into a particle's ELBO: to a scalar for one
 * particle, or to one value per particle (a [numParticles] vector) when particles are vectorized.
 */
type ParticleSum = (t: Tensor) => Tensor;

const sumAll: ParticleSum = (t) => t.sum();

/**
 * Sum over every axis but the particle plate's, which sits `depth` axes from the right of a
 * site's batch shape; a term without that axis is shared by all particles (a scalar).
 */
function perParticleSum(depth: number): ParticleSum {
  return (t) => {
    if (t.rank < depth) return t.sum();
    const keep = t.rank - depth;
    const axes = [...Array(t.rank).keys()].filter((a) => a !== keep);
    return axes.length === 0 ? t : t.sum(axes);
  };
}

/** Σ log q over the guide's latent sites that have no reparameterized sampler. */
function scoreTerms(guideTrace: Trace, total: ParticleSum): Tensor | null {
  let acc: Tensor | null = null;
  for (const s of sampleSites(guideTrace)) {
    if (s.isObserved || s.fn.reparametrized) continue;
    const lq = total(siteLogProb(s));
    acc = acc ? acc.add(lq) : lq;
  }
  return acc;
}

/**
 * elbo + (Σlog q_nonreparam − stop(Σlog q_nonreparam))·stop(elbo): same value, score-function
 * gradient; per particle when `elbo` holds one value per particle.
 */
function withScoreFunction(elbo: Tensor, guideTrace: Trace, total: ParticleSum): Tensor {
  const lq = scoreTerms(guideTrace, total);
  if (!lq) return elbo;
  return elbo.add(lq.sub(stopGradient(lq)).mul(stopGradient(elbo)));
}

abstract class ParticleELBO implements ELBOLoss {
  /** Particles averaged per evaluation. */
  readonly numParticles: number;
  /** Whether the particles are drawn in one pass (see {@link ELBOOptions.vectorizeParticles}). */
  readonly vectorizeParticles: boolean;
  readonly #maxPlateNesting: number | undefined;
  /** Plate nesting found per model function, when not given. */
  readonly #nestingOf = new WeakMap<object, number>();

  constructor(opts: ELBOOptions = {}) {
    this.numParticles = opts.numParticles ?? 1;
    if (!Number.isInteger(this.numParticles) || this.numParticles < 1)
      throw new Error(`ELBO: numParticles must be a positive integer, got ${opts.numParticles}`);
    this.vectorizeParticles = opts.vectorizeParticles ?? false;
    const depth = opts.maxPlateNesting;
    if (depth !== undefined && (!Number.isInteger(depth) || depth < 0))
      throw new Error(`ELBO: maxPlateNesting must be a non-negative integer, got ${depth}`);
    this.#maxPlateNesting = depth;
  }

  /** The ELBO of one particle, or of each particle (summed by `total`). */
  protected abstract particle(modelTrace: Trace, guideTrace: Trace, total: ParticleSum): Tensor;

  /** −ELBO averaged over `numParticles` particles. */
  loss<A extends unknown[]>(
    rngKey: Key,
    params: Record<string, Tensor>,
    model: ModelFn<A>,
    guide: ModelFn<A>,
    args: A,
  ): Tensor {
    const n = this.numParticles;
    if (this.vectorizeParticles && n > 1) {
      const depth = this.#nesting(rngKey, params, model, guide, args) + 1;
      const inPlate =
        (f: ModelFn<A>): ModelFn<A> =>
        (...a: A) =>
          plate(PARTICLE_PLATE, n, { dim: -depth }, () => f(...a));
      const tr = traceParticle(rngKey, params, inPlate(model), inPlate(guide), args);
      const total = perParticleSum(depth);
      const elbos = withScoreFunction(
        this.particle(tr.modelTrace, tr.guideTrace, total),
        tr.guideTrace,
        total,
      );
      // a value shared by all particles (no particle axis) counts once per particle
      return (elbos.size === 1 ? elbos.sum().mul(n) : elbos.sum()).div(-n);
    }
    const keys = n === 1 ? [rngKey] : splitKey(rngKey, n);
    let total: Tensor = scalar(0);
    for (const k of keys) {
      const { modelTrace, guideTrace } = traceParticle(k, params, model, guide, args);
      total = total.add(withScoreFunction(this.particle(modelTrace, guideTrace, sumAll), guideTrace, sumAll));
    }
    return total.div(-n);
  }

  /** The deepest plate nesting of model and guide: given, or from one trace of each (plates and sites' batch dims). */
  #nesting<A extends unknown[]>(
    rngKey: Key,
    params: Record<string, Tensor>,
    model: ModelFn<A>,
    guide: ModelFn<A>,
    args: A,
  ): number {
    if (this.#maxPlateNesting !== undefined) return this.#maxPlateNesting;
    const known = this.#nestingOf.get(model);
    if (known !== undefined) return known;
    const { modelTrace, guideTrace } = traceParticle(rngKey, params, model, guide, args);
    // the particle plate must sit left of every batch dim, plated or not (a mixture's component
    // axis of an [K, G] site inside a gene plate is a batch dim no plate names)
    const depth = Math.max(
      maxPlateNestingOf(modelTrace),
      maxPlateNestingOf(guideTrace),
      maxBatchRank(modelTrace),
      maxBatchRank(guideTrace),
    );
    this.#nestingOf.set(model, depth);
    return depth;
  }
}

/** The most batch dims of any sample site's distribution in `tr`. */
function maxBatchRank(tr: Trace): number {
  let n = 0;
  for (const s of tr.values())
    if (s.type === "sample") n = Math.max(n, (s.fn as Distribution).batchShape.length);
  return n;
}

/**
 * The Monte Carlo ELBO: log p(x, z) − log q(z) at z drawn from the guide.
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoNormal(model);
 * const svi = new SVI(model, guide, adam(0.05), new TraceELBO({ numParticles: 4 }));
 * const { losses } = await svi.run(key(0), 100, [y]);
 * losses[losses.length - 1]; // the last step's −ELBO estimate (4 draws), ≈ 8.4
 */
export class TraceELBO extends ParticleELBO {
  protected particle(modelTrace: Trace, guideTrace: Trace, total: ParticleSum): Tensor {
    let elbo: Tensor = scalar(0);
    for (const s of sampleSites(modelTrace)) elbo = elbo.add(total(siteLogProb(s)));
    for (const s of sampleSites(guideTrace)) if (!s.isObserved) elbo = elbo.sub(total(siteLogProb(s)));
    return elbo;
  }
}

/**
 * The mean-field ELBO: uses KL(q ‖ p) in closed form for each latent site when one is
 * registered, and log p − log q otherwise. Assumes the guide's sites are independent.
 */
export class TraceMeanFieldELBO extends ParticleELBO {
  protected particle(modelTrace: Trace, guideTrace: Trace, total: ParticleSum): Tensor {
    let elbo: Tensor = scalar(0);
    for (const m of sampleSites(modelTrace)) {
      if (m.isObserved) {
        elbo = elbo.add(total(siteLogProb(m)));
        continue;
      }
      const g = guideTrace.get(m.name) as SampleMessage;
      let klqp: Tensor | null = null;
      try {
        klqp = kl(g.fn as unknown as Distribution, m.fn as unknown as Distribution);
      } catch (e) {
        if (!/no closed form/.test((e as Error).message)) throw e;
      }
      if (klqp) {
        if (g.scale !== null) klqp = klqp.mul(g.scale);
        elbo = elbo.sub(total(klqp));
      } else elbo = elbo.add(total(siteLogProb(m))).sub(total(siteLogProb(g)));
    }
    for (const g of sampleSites(guideTrace))
      if (!g.isObserved && !modelTrace.has(g.name)) elbo = elbo.sub(total(siteLogProb(g)));
    return elbo;
  }
}
