/**
 * `TraceEnumELBO`: the ELBO with the model's enumerated discrete sites summed out exactly
 * (NumPyro's `TraceEnum_ELBO`). The guide covers the continuous latents; the model runs
 * under `enumerate` with the guide replayed, and its log-factors are contracted over the
 * enumeration dims and plates (`@scribe/infer`'s enumeration), so the discrete sites need no
 * guide and add no sampling noise. Supported: enumerated sites in the model, plates that
 * nest, enumerated `scan`s (HMMs) and `markov` loops; and discrete sites enumerated in the
 * guide (`infer: { enumerate: "parallel" }` or `configEnumerate` on the guide), whose
 * expectation is then exact, together with sites enumerated in the model only (not in scans
 * or `markov` loops then; enumeration/guide-enum.ts).
 * @module
 */
import {
  enumDimOf,
  enumerate,
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
import { contractTrace } from "../enumeration/enum-log-density.js";
import { maxPlateNestingOf } from "../enumeration/factors.js";
import { guideEnumElbo, guideWantsEnumeration, modelEnumNesting } from "../enumeration/guide-enum.js";
import { siteLogProb } from "../util/log-density.js";
import { checkModelGuideMatch } from "../util/sites.js";
import type { ELBOLoss, ELBOOptions, ModelFn } from "./elbo.js";

/** Options of {@link TraceEnumELBO}. */
export interface TraceEnumELBOOptions extends ELBOOptions {
  /**
   * Plate dims the model and guide use (NumPyro's `max_plate_nesting`); enumeration dims
   * start left of them. Default: the deepest nesting seen in one run of model and guide.
   */
  maxPlateNesting?: number;
}

function guideLatents(tr: Trace): SampleMessage[] {
  return [...tr.values()].filter((s): s is SampleMessage => s.type === "sample" && !s.isObserved);
}

/**
 * −ELBO with the model's `infer: { enumerate: "parallel" }` sites marginalized.
 * @example
 * // Two-component mixture; the assignments are summed out, the locations fitted (AutoDelta).
 * const model = (y: Tensor) => {
 *   const locs = sample("locs", new Normal(0, 10).expand([2]).toEvent(1));
 *   plate("N", y.shape[0]!, () => {
 *     const z = sample("z", Categorical({ probs: tensor([0.5, 0.5]) }), { infer: { enumerate: "parallel" } });
 *     sample("y", new Normal(locs.index(z), 1), { obs: y });
 *   });
 * };
 * const svi = new SVI(model, new AutoDelta(model), adam(0.1), new TraceEnumELBO({ maxPlateNesting: 1 }));
 */
export class TraceEnumELBO implements ELBOLoss {
  /** Particles averaged per evaluation. */
  readonly numParticles: number;
  private readonly maxPlateNesting: number | undefined;
  /** The plate nesting found for each model (one extra run on the first evaluation only). */
  private readonly guessed = new WeakMap<object, number>();

  constructor(opts: TraceEnumELBOOptions = {}) {
    this.numParticles = opts.numParticles ?? 1;
    if (!Number.isInteger(this.numParticles) || this.numParticles < 1)
      throw new Error(`TraceEnumELBO: numParticles must be a positive integer, got ${opts.numParticles}`);
    if (
      opts.maxPlateNesting !== undefined &&
      (!Number.isInteger(opts.maxPlateNesting) || opts.maxPlateNesting < 0)
    )
      throw new Error(
        `TraceEnumELBO: maxPlateNesting must be a non-negative integer, got ${opts.maxPlateNesting}`,
      );
    this.maxPlateNesting = opts.maxPlateNesting;
  }

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
    for (const k of keys) total = total.add(this.particle(k, params, model, guide, args));
    return total.div(-this.numParticles);
  }

  /** One particle's ELBO, with a score-function term for guide sites drawn without rsample. */
  private particle<A extends unknown[]>(
    rngKey: Key,
    params: Record<string, Tensor>,
    model: ModelFn<A>,
    guide: ModelFn<A>,
    args: A,
  ): Tensor {
    const [kGuide, kModel] = splitKey(rngKey, 2);
    const seededGuide = seed(substitute(guide, params), kGuide!);
    const guideTrace = trace(seededGuide).getTrace(...args);
    const seededModel = seed(substitute(model, params), kModel!);
    let maxPlateNesting = this.maxPlateNesting ?? this.guessed.get(model);
    if (maxPlateNesting === undefined) {
      maxPlateNesting = Math.max(
        maxPlateNestingOf(guideTrace),
        maxPlateNestingOf(trace(replay(seededModel, guideTrace)).getTrace(...args)),
      );
      this.guessed.set(model, maxPlateNesting);
    }
    if (guideWantsEnumeration(guideTrace)) {
      // guide-side enumeration: the guide's discrete sites hold their supports, the model is
      // replayed on them (its own enumerated sites on dims further left) and the expectation
      // is exact (enumeration/guide-enum.ts)
      const enumGuide = trace(enumerate(seededGuide, { maxPlateNesting })).getTrace(...args);
      const replayed = trace(
        enumerate(replay(seededModel, enumGuide), {
          maxPlateNesting: modelEnumNesting(enumGuide, maxPlateNesting),
        }),
      ).getTrace(...args);
      checkModelGuideMatch(replayed, enumGuide);
      return withScoreFunction(guideEnumElbo(replayed, enumGuide), enumGuide);
    }
    const modelTrace = trace(enumerate(replay(seededModel, guideTrace), { maxPlateNesting })).getTrace(
      ...args,
    );
    checkModelGuideMatch(modelTrace, guideTrace);
    let elbo = contractTrace(modelTrace);
    for (const g of guideLatents(guideTrace)) elbo = elbo.sub(siteLogProb(g).sum());
    return withScoreFunction(elbo, guideTrace);
  }
}

/**
 * `elbo` with the same value, whose gradient gains the score-function term for the guide
 * sites drawn without rsample (enumerated guide sites are exact and need none).
 */
function withScoreFunction(elbo: Tensor, guideTrace: Trace): Tensor {
  let scoreLogQ: Tensor | null = null;
  for (const g of guideLatents(guideTrace)) {
    if (g.fn.reparametrized || enumDimOf(g) !== undefined) continue;
    const lq = siteLogProb(g).sum();
    scoreLogQ = scoreLogQ ? scoreLogQ.add(lq) : lq;
  }
  if (!scoreLogQ) return elbo;
  return elbo.add(scoreLogQ.sub(stopGradient(scoreLogQ)).mul(stopGradient(elbo)));
}
