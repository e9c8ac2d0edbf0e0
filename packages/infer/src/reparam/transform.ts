/**
 * TransformReparam: a site drawn from a TransformedDistribution becomes a draw of its base
 * distribution (site `${name}_base`) pushed through the transforms, as a deterministic site.
 * @module
 */
import type { Reparameterizer, ReparamResult, ReparamSite } from "@scribe/core";
import { sample, type Tensor } from "@scribe/core";
import { TransformedDistribution } from "@scribe/distributions";
import { rewrap, unwrap } from "./unwrap.js";

/**
 * Reparameterize a TransformedDistribution site by its base distribution.
 * @example
 * const model = () => sample("x", new TransformedDistribution(new Normal(0, 1), new ExpTransform()));
 * const m = reparam(model, { x: new TransformReparam() });
 * [...trace(seed(m, 0)).getTrace().keys()]; // ["x_base", "x"]: x = exp(x_base), deterministic
 */
export class TransformReparam implements Reparameterizer {
  apply(site: ReparamSite): ReparamResult {
    if (site.isObserved)
      throw new Error(`TransformReparam: site '${site.name}' is observed; it only applies to latent sites`);
    const td = unwrap(site.fn);
    if (!(td instanceof TransformedDistribution))
      throw new Error(
        `TransformReparam: site '${site.name}' is a ${td.constructor.name}, not a TransformedDistribution`,
      );
    const baseShape = td.transforms.reduceRight(
      (s, t) => t.inverseShape(s),
      [...site.fn.batchShape, ...site.fn.eventShape],
    );
    const bEv = td.baseDist.eventShape.length + (site.fn.eventShape.length - td.eventShape.length);
    const cut = baseShape.length - bEv;
    const like = { batchShape: baseShape.slice(0, cut), eventShape: baseShape.slice(cut) };
    const base = rewrap(td.baseDist, like as never);
    let x: Tensor = sample(`${site.name}_base`, base);
    for (const t of td.transforms) x = t.drawForward(x); // as TransformedDistribution's draws
    return { fn: null, value: x };
  }
}
