/**
 * Initialization strategies for autoguides: a function of a latent sample site (seen
 * during the prototype run) returning its initial constrained value, or null.
 * @module
 */
import { key as makeKey, prngKey, random, type SampleMessage, type Tensor, zeros } from "@scribe/core";
import { bijectTo, type Constraint } from "@scribe/distributions";

/** Returns the initial (constrained) value of a latent site, or null to leave it alone. */
export type InitStrategy = (site: SampleMessage) => Tensor | null;

function siteShape(site: SampleMessage): number[] {
  return [...site.kwargs.sampleShape, ...site.fn.batchShape, ...site.fn.eventShape];
}

function supportOf(site: SampleMessage): Constraint {
  const s = site.fn.support;
  if (!s) throw new Error(`autoguide: site '${site.name}': its distribution declares no support`);
  return s as Constraint;
}

/**
 * Uniform on (−radius, radius) in the unconstrained space, mapped to the support
 * (NumPyro's default, `init_to_uniform`).
 * @example
 * new AutoNormal(model, { initLocFn: initToUniform(0.5) });
 */
export function initToUniform(radius = 2): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    const t = bijectTo(supportOf(site));
    const k = prngKey() ?? makeKey(0);
    const u = random.uniform(k, t.inverseShape(siteShape(site)), -radius, radius);
    return t.forward(u);
  };
}

/** Zero in the unconstrained space (e.g. 1 for positive sites, 0.5 for unit-interval ones). */
export function initToFeasible(): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    const t = bijectTo(supportOf(site));
    return t.forward(zeros(t.inverseShape(siteShape(site))));
  };
}

/** The given values by site name; other sites use `fallback` (default uniform). */
export function initToValue(
  values: Readonly<Record<string, Tensor>>,
  fallback: InitStrategy = initToUniform(),
): InitStrategy {
  return (site) => {
    if (site.isObserved) return null;
    return Object.hasOwn(values, site.name) ? values[site.name]! : fallback(site);
  };
}
