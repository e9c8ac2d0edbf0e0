/**
 * Autoguides over one flat vector of all latent sites in unconstrained space (NumPyro's
 * AutoContinuous family): the guide draws the vector from a joint distribution, then each
 * site gets its slice through its support transform, as a Delta carrying the Jacobian.
 * These guides need every plate at full size (no subsampled local latents; use AutoNormal).
 * @module
 */
import { concat, type Key, key as makeKey, type Shape, sample, slice, type Tensor } from "@scribe/core";
import { Delta, type Distribution } from "@scribe/distributions";
import { AutoGuide } from "./auto-guide.js";
import { normalQuantiles, siteLogDet, toConstrained } from "./posterior-utils.js";
import type { LatentSiteInfo } from "./prototype.js";

/** Where a site sits in the flat latent vector. */
export interface LatentSlot {
  readonly site: LatentSiteInfo;
  readonly offset: number;
  readonly size: number;
  /** Shape of the site's unconstrained value. */
  readonly shape: readonly number[];
}

/** Constrained params of a guide, by param name. */
export type GuideParams = Readonly<Record<string, Tensor>>;

/** Base class of the flat-vector autoguides. */
export abstract class AutoContinuous<A extends unknown[]> extends AutoGuide<A> {
  #layout: LatentSlot[] | null = null;

  /** The flat layout (after the first call). */
  get layout(): readonly LatentSlot[] {
    if (!this.#layout) this.requirePrototype("layout");
    return this.#layout ?? [];
  }

  /** Size of the flat latent vector. */
  get latentDim(): number {
    return this.layout.reduce((a, s) => a + s.size, 0);
  }

  /** Initial flat unconstrained vector. */
  protected initLatent(): Tensor {
    return concat(this.layout.map((s) => s.site.initUnconstrained.reshape([s.size])));
  }

  /** Declare the guide's params (with `param`) and return them by name. */
  protected abstract declareParams(): Record<string, Tensor>;

  /** The joint distribution of the flat latent vector under constrained params. */
  abstract latentDistribution(params: GuideParams): Distribution;

  /** Per-coordinate loc and scale of the latent vector's Normal marginals. */
  protected abstract marginals(params: GuideParams): { loc: Tensor; scale: Tensor };

  protected siteGuide(): Tensor {
    throw new Error("AutoContinuous: sites are emitted by call()");
  }

  #ensureLayout(): void {
    if (this.#layout) return;
    const proto = this.prototype!;
    for (const [name, p] of proto.plates)
      if (p.subsampleSize !== p.size)
        throw new Error(
          `${this.constructor.name}: plate '${name}' is subsampled (${p.subsampleSize} of ${p.size}); flat-vector guides need full plates — use AutoNormal for subsampled local latents`,
        );
    let offset = 0;
    this.#layout = proto.sites.map((site) => {
      const shape = [...site.initUnconstrained.shape];
      const size = site.initUnconstrained.size;
      const slot = { site, offset, size, shape };
      offset += size;
      return slot;
    });
  }

  /** Run the guide. */
  override call(...args: A): Record<string, Tensor> {
    const plates = this.setup(args);
    this.#ensureLayout();
    const p = this.declareParams();
    const z = sample(`_${this.prefix}_latent`, this.latentDistribution(p), { infer: { isAuxiliary: true } });
    const us = this.unpackLatent(z);
    const out: Record<string, Tensor> = {};
    const lead = z.shape.slice(0, -1);
    for (const { site } of this.layout) {
      const u = alignToPlates(us[site.name]!, lead, site.initUnconstrained.shape.length - site.eventDim);
      out[site.name] = this.inPlates(site, plates, () => {
        if (site.isReal) return sample(site.name, new Delta(u, 0, site.eventDim));
        const x = site.transform.drawForward(u); // a draw: the portable map
        return sample(site.name, new Delta(x, siteLogDet(site, u, x).neg(), site.eventDim));
      });
    }
    return out;
  }

  /** Split a latent tensor of shape [...batch, D] into unconstrained site values [...batch, ...siteShape]. */
  unpackLatent(z: Tensor): Record<string, Tensor> {
    const lead = z.shape.slice(0, -1);
    const out: Record<string, Tensor> = {};
    for (const s of this.layout) {
      const part = slice(z, [...lead.map(() => 0), s.offset], [...lead, s.offset + s.size]);
      out[s.site.name] = part.reshape([...lead, ...s.shape]);
    }
    return out;
  }

  /** Map an unconstrained record to constrained site values. */
  protected constrain(us: Record<string, Tensor>): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const { site } of this.layout) out[site.name] = toConstrained(site, us[site.name]!);
    return out;
  }

  /** The guide's median of each latent site (constrained): the transformed loc. */
  median(params: GuideParams): Record<string, Tensor> {
    return this.constrain(this.unpackLatent(this.marginals(params).loc));
  }

  /**
   * Marginal quantiles of each site: the Normal marginals' quantiles in unconstrained space,
   * mapped through the site transform (exact for elementwise monotone transforms). Result:
   * site → tensor [qs.length, ...siteShape].
   * @example
   * const model = (y: Tensor) => {
   *   const mu = sample("mu", new Normal(0, 10));
   *   plate("N", y.shape[0]!, () => sample("y", new Normal(mu, 1), { obs: y }));
   * };
   * const guide = new AutoDiagonalNormal(model);
   * const y = tensor([1.2, 0.8, 1.9]);
   * const { params } = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 100, [y]);
   * const q = guide.quantiles(params, [0.05, 0.5, 0.95]);
   * q.mu; // [3]: ≈ [0.3, 1.3, 2.2]
   */
  quantiles(params: GuideParams, qs: readonly number[]): Record<string, Tensor> {
    const { loc, scale } = this.marginals(params);
    return this.constrain(this.unpackLatent(normalQuantiles(loc, scale, qs)));
  }

  /** Draws of every latent site (constrained), with `sampleShape` leading dims. */
  samplePosterior(
    rngKey: Key | number,
    params: GuideParams,
    sampleShape: Shape = [],
  ): Record<string, Tensor> {
    const k = typeof rngKey === "number" ? makeKey(rngKey) : rngKey;
    const z = this.latentDistribution(params).sample(k, sampleShape);
    return this.constrain(this.unpackLatent(z));
  }

  /** Param value by (prefixed) name, or an error naming what is missing. */
  protected need(params: GuideParams, name: string): Tensor {
    const v = params[`${this.prefix}_${name}`];
    if (!v)
      throw new Error(
        `${this.constructor.name}: params lack '${this.prefix}_${name}' (pass svi.getParams(state) or result.params)`,
      );
    return v;
  }
}

/**
 * A site value unpacked from a latent drawn under outer plates (vectorized particles): the
 * latent's batch shape is right-aligned with the plates, so its trailing size-1 dims stand
 * where the site's own plate dims are. Drop those (up to the site's batch rank) so the value
 * is [particles, ...sitePlates, ...event] and not an outer product with the site's plates.
 */
function alignToPlates(u: Tensor, lead: readonly number[], siteBatchRank: number): Tensor {
  let keep = lead.length;
  while (keep > 0 && lead.length - keep < siteBatchRank && lead[keep - 1] === 1) keep--;
  return keep === lead.length ? u : u.reshape([...lead.slice(0, keep), ...u.shape.slice(lead.length)]);
}
