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

  /** The arguments of the latest call (used by posterior helpers that need the model's data). */
  protected lastArgs: A | null = null;

  /** Set up the prototype (once) and make one plate messenger per model plate. */
  protected setup(args: A): Map<string, PlateMessenger> {
    this.prototype ??= setupPrototype(this.model, args, this.initLocFn);
    this.lastArgs = args;
    const plates = new Map<string, PlateMessenger>();
    for (const [name, p] of this.prototype.plates)
      plates.set(name, new PlateMessenger(name, p.size, { subsampleSize: p.subsampleSize, dim: p.dim }));
    return plates;
  }

  /** Run `body` inside the site's plates (outermost first). */
  protected inPlates<T>(site: LatentSiteInfo, plates: Map<string, PlateMessenger>, body: () => T): T {
    const frames = [...site.frames].reverse();
    const go = (i: number): T =>
      i === frames.length ? body() : plates.get(frames[i]!.name)!.run(() => go(i + 1));
    return go(0);
  }

  /** The prototype, or an error saying the guide must run first. */
  protected requirePrototype(what: string): Prototype {
    if (!this.prototype)
      throw new Error(
        `${this.constructor.name}.${what}: run the guide once first (e.g. svi.init or svi.run)`,
      );
    return this.prototype;
  }

  /** Run the guide (use as the guide function: `(...args) => guide.call(...args)`). */
  call(...args: A): Record<string, Tensor> {
    const plates = this.setup(args);
    const out: Record<string, Tensor> = {};
    for (const site of this.prototype!.sites)
      out[site.name] = this.inPlates(site, plates, () => this.siteGuide(site));
    return out;
  }
}
