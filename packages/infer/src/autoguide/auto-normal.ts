/**
 * AutoNormal: a mean-field Normal guide in the unconstrained space of every latent site,
 * with params `${name}_${prefix}_loc` and `${name}_${prefix}_scale`.
 * @module
 */
import {
  full,
  type Key,
  key as makeKey,
  param,
  type Shape,
  sample,
  splitKey,
  type Tensor,
} from "@scribe/core";
import { Delta, Normal, positive } from "@scribe/distributions";
import { AutoGuide, type AutoGuideOptions } from "./auto-guide.js";
import { normalQuantiles, toConstrained } from "./posterior-utils.js";
import type { LatentSiteInfo } from "./prototype.js";

/** Options of {@link AutoNormal}. */
export interface AutoNormalOptions extends AutoGuideOptions {
  /** Initial scale of every Normal (default 0.1). */
  initScale?: number;
}

/**
 * Mean-field Normal guide (NumPyro's AutoNormal).
 * @example
 * const model = (y: Tensor) => {
 *   const mu = sample("mu", new Normal(0, 10));
 *   const sigma = sample("sigma", new HalfNormal(5));
 *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, sigma), { obs: y }));
 * };
 * const y = tensor([1.2, 0.8, 1.9, 0.4, 1.1]);
 * const guide = new AutoNormal(model);
 * const svi = new SVI(model, guide, adam(0.05), new TraceMeanFieldELBO());
 * const { params } = await svi.run(key(0), 100, [y]);
 * guide.median(params); // { mu: ≈ 1.1, sigma: ≈ 0.7 }
 */
export class AutoNormal<A extends unknown[]> extends AutoGuide<A> {
  /** Initial scale. */
  readonly initScale: number;

  constructor(model: (...args: A) => unknown, opts: AutoNormalOptions = {}) {
    super(model, opts);
    this.initScale = opts.initScale ?? 0.1;
    if (!(this.initScale > 0))
      throw new Error(`AutoNormal: initScale must be positive, got ${opts.initScale}`);
  }

  protected siteGuide(site: LatentSiteInfo): Tensor {
    const eventDim = site.eventDim;
    const u0 = site.initUnconstrained;
    const loc = param(`${site.name}_${this.prefix}_loc`, u0, { eventDim });
    const scale = param(`${site.name}_${this.prefix}_scale`, full(u0.shape, this.initScale, u0.dtype), {
      constraint: positive,
      eventDim,
    });
    const q = new Normal(loc, scale).toEvent(eventDim);
    if (site.isReal) return sample(site.name, q);
    const u = sample(`${site.name}_unconstrained`, q, { infer: { isAuxiliary: true } });
    const x = site.transform.drawForward(u); // a draw: the portable map (same bits in every engine)
    // log q(x) = log q(u) − log|det J|: the Jacobian term rides on a Delta at x.
    let ladj = site.transform.logAbsDetJacobian(u, x);
    const extra = ladj.rank - (x.rank - eventDim);
    if (extra > 0) ladj = ladj.sum(Array.from({ length: extra }, (_, i) => ladj.rank - 1 - i));
    return sample(site.name, new Delta(x, ladj.neg(), eventDim));
  }

  /** The guide's median of each latent site (constrained): transform(loc). */
  median(params: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this.prototype?.sites ?? []) {
      const loc = params[`${s.name}_${this.prefix}_loc`];
      if (loc) out[s.name] = s.transform.forward(loc);
    }
    return out;
  }

  #locScale(params: Readonly<Record<string, Tensor>>, s: LatentSiteInfo): { loc: Tensor; scale: Tensor } {
    const loc = params[`${s.name}_${this.prefix}_loc`];
    const scale = params[`${s.name}_${this.prefix}_scale`];
    if (!loc || !scale)
      throw new Error(
        `AutoNormal: params lack '${s.name}_${this.prefix}_loc' or '_scale' (pass svi.getParams(state))`,
      );
    return { loc, scale };
  }

  /**
   * Marginal quantiles of each latent site: site → [qs.length, ...siteShape] (Normal
   * quantiles in unconstrained space, mapped through the site's transform).
   * @example
   * const model = (y: Tensor) => {
   *   const mu = sample("mu", new Normal(0, 10));
   *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
   * };
   * const guide = new AutoNormal(model);
   * const y = tensor([1.2, 0.8, 1.9]);
   * const { params } = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 100, [y]);
   * const q = guide.quantiles(params, [0.05, 0.95]);
   * q.mu; // [2]: a 90% interval, ≈ [0.3, 2.2]
   */
  quantiles(params: Readonly<Record<string, Tensor>>, qs: readonly number[]): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this.requirePrototype("quantiles").sites) {
      const { loc, scale } = this.#locScale(params, s);
      out[s.name] = toConstrained(s, normalQuantiles(loc, scale, qs));
    }
    return out;
  }

  /** Draws of every latent site (constrained, full plate sizes) with `sampleShape` leading dims. */
  samplePosterior(
    rngKey: Key | number,
    params: Readonly<Record<string, Tensor>>,
    sampleShape: Shape = [],
  ): Record<string, Tensor> {
    const sites = this.requirePrototype("samplePosterior").sites;
    const keys = splitKey(typeof rngKey === "number" ? makeKey(rngKey) : rngKey, Math.max(1, sites.length));
    const out: Record<string, Tensor> = {};
    sites.forEach((s, i) => {
      const { loc, scale } = this.#locScale(params, s);
      out[s.name] = toConstrained(s, new Normal(loc, scale).sample(keys[i]!, sampleShape));
    });
    return out;
  }
}
