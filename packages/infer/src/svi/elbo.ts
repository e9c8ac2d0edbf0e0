/**
 * ELBO losses: `TraceELBO` (Monte Carlo, with score-function terms for guide sites without
 * a reparameterized sampler) and `TraceMeanFieldELBO` (analytic KL where registered).
 * Each returns −ELBO averaged over particles.
 * @module
 */
import {
  type Key,
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
}

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

/** Σ log q over the guide's latent sites that have no reparameterized sampler. */
function scoreTerms(guideTrace: Trace): Tensor | null {
  let acc: Tensor | null = null;
  for (const s of sampleSites(guideTrace)) {
    if (s.isObserved || s.fn.reparametrized) continue;
    const lq = siteLogProb(s).sum();
    acc = acc ? acc.add(lq) : lq;
  }
  return acc;
}

/** elbo + (Σlog q_nonreparam − stop(Σlog q_nonreparam))·stop(elbo): same value, score-function gradient. */
function withScoreFunction(elbo: Tensor, guideTrace: Trace): Tensor {
  const lq = scoreTerms(guideTrace);
  if (!lq) return elbo;
  return elbo.add(lq.sub(stopGradient(lq)).mul(stopGradient(elbo)));
}

abstract class ParticleELBO implements ELBOLoss {
  /** Particles averaged per evaluation. */
  readonly numParticles: number;

  constructor(opts: ELBOOptions = {}) {
    this.numParticles = opts.numParticles ?? 1;
    if (!Number.isInteger(this.numParticles) || this.numParticles < 1)
      throw new Error(`ELBO: numParticles must be a positive integer, got ${opts.numParticles}`);
  }

  /** The ELBO of one particle. */
  protected abstract particle(modelTrace: Trace, guideTrace: Trace): Tensor;

  /** −ELBO averaged over `numParticles` particles. */
  loss<A extends unknown[]>(
    rngKey: Key,
    params: Record<string, Tensor>,
    model: ModelFn<A>,
    guide: ModelFn<A>,
    args: A,
  ): Tensor {
    const keys = this.numParticles === 1 ? [rngKey] : splitKey(rngKey, this.numParticles);
    let total: Tensor = scalar(0);
    for (const k of keys) {
      const { modelTrace, guideTrace } = traceParticle(k, params, model, guide, args);
      total = total.add(withScoreFunction(this.particle(modelTrace, guideTrace), guideTrace));
    }
    return total.div(-this.numParticles);
  }
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
  protected particle(modelTrace: Trace, guideTrace: Trace): Tensor {
    let elbo: Tensor = scalar(0);
    for (const s of sampleSites(modelTrace)) elbo = elbo.add(siteLogProb(s).sum());
    for (const s of sampleSites(guideTrace)) if (!s.isObserved) elbo = elbo.sub(siteLogProb(s).sum());
    return elbo;
  }
}

/**
 * The mean-field ELBO: uses KL(q ‖ p) in closed form for each latent site when one is
 * registered, and log p − log q otherwise. Assumes the guide's sites are independent.
 */
export class TraceMeanFieldELBO extends ParticleELBO {
  protected particle(modelTrace: Trace, guideTrace: Trace): Tensor {
    let elbo: Tensor = scalar(0);
    for (const m of sampleSites(modelTrace)) {
      if (m.isObserved) {
        elbo = elbo.add(siteLogProb(m).sum());
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
        elbo = elbo.sub(klqp.sum());
      } else elbo = elbo.add(siteLogProb(m).sum()).sub(siteLogProb(g).sum());
    }
    for (const g of sampleSites(guideTrace))
      if (!g.isObserved && !modelTrace.has(g.name)) elbo = elbo.sub(siteLogProb(g).sum());
    return elbo;
  }
}
