/**
 * LocScaleReparam: (partially) decenter a location-scale site. With centeredness c,
 * the model draws z̃ from the same family with loc c·μ and scale σᶜ, and sets
 * z = μ + σ^(1−c)·(z̃ − c·μ): c = 1 leaves the site alone, c = 0 is the fully
 * non-centered form that removes funnels. With `centered: null`, c is a learnable param
 * `${name}_centered` in (0, 1), starting at 0.5.
 * @module
 */
import {
  param,
  type Reparameterizer,
  type ReparamResult,
  type ReparamSite,
  sample,
  type Tensor,
  tensor,
} from "@scribe/core";
import { type Distribution, StudentT, unitInterval } from "@scribe/distributions";
import { rewrap, unwrap } from "./unwrap.js";

interface LocScaleDist extends Distribution {
  loc: Tensor;
  scale: Tensor;
}

function familyWith(base: LocScaleDist, loc: Tensor, scale: Tensor): Distribution {
  if (base instanceof StudentT) return new StudentT(base.df, loc, scale);
  const Ctor = base.constructor as new (loc: Tensor, scale: Tensor) => Distribution;
  return new Ctor(loc, scale);
}

/**
 * Decentering for sites whose distribution has `loc` and `scale` (Normal, StudentT,
 * Cauchy, Laplace, Logistic, ...), possibly expanded by plates or wrapped by `toEvent`.
 * @example
 * const model = () => {
 *   const tau = sample("tau", new HalfNormal(5));
 *   return plate("J", 8, () => sample("theta", new Normal(0, tau)));
 * };
 * const ncModel = reparam(model, { theta: new LocScaleReparam(0) }); // theta = tau · theta_decentered
 * const learned = reparam(model, { theta: new LocScaleReparam() }); // centeredness learned by SVI
 * [...trace(seed(learned, 0)).getTrace().keys()]; // ["tau", "J", "theta_centered", "theta_decentered", "theta"]
 */
export class LocScaleReparam implements Reparameterizer {
  constructor(readonly centered: number | null = null) {
    if (centered !== null && !(centered >= 0 && centered <= 1))
      throw new Error(`LocScaleReparam: centered must be in [0, 1] or null, got ${centered}`);
  }

  apply(site: ReparamSite): ReparamResult {
    if (site.isObserved)
      throw new Error(`LocScaleReparam: site '${site.name}' is observed; it only applies to latent sites`);
    if (this.centered === 1) return { fn: site.fn, value: site.value };
    const base = unwrap(site.fn) as LocScaleDist;
    if (!(base.loc && base.scale))
      throw new Error(`LocScaleReparam: site '${site.name}': ${base.constructor.name} has no loc and scale`);
    const c: Tensor | number =
      this.centered ?? param(`${site.name}_centered`, tensor(0.5), { constraint: unitInterval });
    const decLoc = base.loc.mul(c);
    const decScale = typeof c === "number" ? base.scale.pow(c) : base.scale.pow(c);
    const dec = rewrap(familyWith(base, decLoc, decScale), site.fn);
    const zt = sample(`${site.name}_decentered`, dec);
    const oneMinus = typeof c === "number" ? 1 - c : tensor(1).sub(c);
    const value = base.loc.add(base.scale.pow(oneMinus).mul(zt.sub(decLoc)));
    return { fn: null, value };
  }
}
