/**
 * Connects `bijectTo` from @scribe/distributions to core's param transform, so constrained
 * params (`param(name, init, { constraint: positive })`) can be optimized unconstrained.
 * Core cannot import the distributions package, hence the hook (core/src/ppl/param-transform.ts).
 * Nothing happens on import: the package entry calls {@link ensureParamTransform}, and so do the
 * functions that need a transform (util/sites.ts), so importing any one module of this package
 * on its own works too.
 * @module
 */
import { hasParamTransform, setParamTransform } from "@scribe/core";
import { bijectTo, type Constraint } from "@scribe/distributions";

let ensured = false;

/** Install the distributions' `bijectTo` as the param transform (also after a test replaced it). */
export function installDefaultParamTransform(): void {
  ensured = true;
  setParamTransform((c) => bijectTo(c as Constraint));
}

/**
 * Install the default transform the first time it is asked for, unless one is installed
 * already. Idempotent: later calls do nothing, so a transform set (or removed) afterwards with
 * `setParamTransform` stays as it was set.
 */
export function ensureParamTransform(): void {
  if (ensured) return;
  ensured = true;
  if (!hasParamTransform()) setParamTransform((c) => bijectTo(c as Constraint));
}
