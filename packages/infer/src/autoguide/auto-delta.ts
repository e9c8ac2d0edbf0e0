/**
 * AutoDelta: a point-mass guide (MAP estimation), with one constrained param
 * `${name}_${prefix}_loc` per latent site.
 * @module
 */
import { broadcastTo, type Key, param, type Shape, sample, stack, type Tensor } from "@scribe/core";
import { type Constraint, Delta } from "@scribe/distributions";
import { AutoGuide } from "./auto-guide.js";
import type { LatentSiteInfo } from "./prototype.js";

/**
 * Point-mass guide (NumPyro's AutoDelta): SVI with it finds the MAP estimate.
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoDelta(model);
 * const { params } = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 100, [y]);
 * guide.median(params).mu!.item(); // ≈ 1.08 = Σy / (N + 1/100), the MAP
 */
export class AutoDelta<A extends unknown[]> extends AutoGuide<A> {
  protected siteGuide(site: LatentSiteInfo): Tensor {
    const v = param(`${site.name}_${this.prefix}_loc`, site.initValue, {
      constraint: site.transform.codomain as Constraint,
      eventDim: site.eventDim,
    });
    return sample(site.name, new Delta(v, 0, site.eventDim));
  }

  /** The point estimates (constrained) by site name. */
  median(params: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this.prototype?.sites ?? []) {
      const v = params[`${s.name}_${this.prefix}_loc`];
      if (v) out[s.name] = v;
    }
    return out;
  }

  /** Every quantile of a point mass is the point: site → [qs.length, ...siteShape]. */
  quantiles(params: Readonly<Record<string, Tensor>>, qs: readonly number[]): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(this.median(params))) out[k] = stack(qs.map(() => v));
    return out;
  }

  /** The point estimates broadcast to `sampleShape` leading dims (the key is unused). */
  samplePosterior(
    _rngKey: Key | number,
    params: Readonly<Record<string, Tensor>>,
    sampleShape: Shape = [],
  ): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(this.median(params)))
      out[k] = broadcastTo(v, [...sampleShape, ...v.shape]).add(0);
    return out;
  }
}
