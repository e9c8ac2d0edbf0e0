/**
 * Shared machinery of the autoguides: lazy prototype setup on the first call, and running
 * a site's body inside the model's plates (same names, full sizes, subsample sizes, dims).
 * @module
 */
import { PlateMessenger, type Tensor } from "@scribe/core";
import { type InitStrategy, initToUniform } from "./init-strategies.js";
import { type LatentSiteInfo, type Prototype, setupPrototype } from "./prototype.js";

/** Options common to the autoguides. */
export interface AutoGuideOptions {
  /** Prefix of the param names (default "auto"). */
  prefix?: string;
  /** How latent sites are initialized (default `initToUniform()`). */
  initLocFn?: InitStrategy;
}

/** Base class: subclasses implement `siteGuide` for one latent site. */
export abstract class AutoGuide<A extends unknown[]> {
  /** Prefix of the param names. */
  readonly prefix: string;
  protected readonly initLocFn: InitStrategy;
  /** The model's latent sites and plates, set on the first call. */
  prototype: Prototype | null = null;

  constructor(
    readonly model: (...args: A) => unknown,
    opts: AutoGuideOptions = {},
  ) {
    this.prefix = opts.prefix ?? "auto";
    this.initLocFn = opts.initLocFn ?? initToUniform();
  }

  /** Emit the guide's sites for one latent site (called inside the site's plates). */
  protected abstract siteGuide(site: LatentSiteInfo): Tensor;

  /** Run the guide (use as the guide function: `(...args) => guide.call(...args)`). */
  call(...args: A): Record<string, Tensor> {
    this.prototype ??= setupPrototype(this.model, args, this.initLocFn);
    const plates = new Map<string, PlateMessenger>();
    for (const [name, p] of this.prototype.plates)
      plates.set(name, new PlateMessenger(name, p.size, { subsampleSize: p.subsampleSize, dim: p.dim }));
    const out: Record<string, Tensor> = {};
    for (const site of this.prototype.sites) {
      const frames = [...site.frames].reverse();
      const go = (i: number): Tensor =>
        i === frames.length ? this.siteGuide(site) : plates.get(frames[i]!.name)!.run(() => go(i + 1));
      out[site.name] = go(0);
    }
    return out;
  }
}
