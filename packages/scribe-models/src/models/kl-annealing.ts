/**
 * KL annealing for SVI fits (SCRIBE's `kl_annealing_warmup`, SCRIBE KL annealing): the
 * KL term of the ELBO is weighted by β_t = min(1, (t + 1) / warmup), so the objective at step t
 * is −E_q[log p(x | θ)] + β_t·KL(q ‖ p). The schedule and its clock are the VAE's
 * (`vae/kl-annealing.ts`: β from the optimizer's step count, so checkpoints resume the
 * schedule exactly); this file applies β to every *latent* sample site of a model and its
 * guide. Under `TraceMeanFieldELBO` a closed-form KL is multiplied by the guide site's scale,
 * and a Monte-Carlo term is log p·scale_p − log q·scale_q, so scaling both sides by β scales
 * the KL by β while the observed `counts` keep weight 1.
 * @module
 */
import { combineScale, type Message, Messenger, type Tensor, wrapWith } from "@scribe/core";

/** Where β comes from: a function called at each latent site (a tensor, so recorded steps do not change with β). */
export type KlWeight = () => Tensor;

/** Multiplies the scale of every latent (not observed) sample site by β. */
export class LatentScaleMessenger extends Messenger {
  constructor(readonly beta: KlWeight) {
    super();
  }
  override processMessage(msg: Message): void {
    if (msg.type !== "sample" || msg.isObserved) return;
    msg.scale = combineScale(this.beta(), msg.scale);
  }
}

/**
 * `fn` with the log-densities of its latent sample sites multiplied by β (observed sites
 * unchanged). Wrap both the model and the guide with the same β.
 * @example
 * const clock = new KlAnnealing(1000);
 * const annealedModel = annealLatents(model, () => clock.betaTensor());
 * const annealedGuide = annealLatents(guide, () => clock.betaTensor());
 */
export function annealLatents<A extends unknown[], R>(
  fn: (...args: A) => R,
  beta: KlWeight,
): (...args: A) => R {
  return wrapWith(fn, () => new LatentScaleMessenger(beta));
}

/** Check a `klAnnealingWarmup` value: a non-negative integer number of steps (0: no annealing). */
export function checkKlAnnealingWarmup(w: number): number {
  if (!Number.isInteger(w) || w < 0)
    throw new Error(`klAnnealingWarmup must be a non-negative integer (steps), got ${w}`);
  return w;
}
