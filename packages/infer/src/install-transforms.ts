/**
 * Installs `bijectTo` from @scribe/distributions as core's param transform, so constrained
 * params (`param(name, init, { constraint: positive })`) can be optimized unconstrained.
 * Imported for its side effect by the package index.
 * @module
 */
import { setParamTransform } from "@scribe/core";
import { bijectTo, type Constraint } from "@scribe/distributions";

setParamTransform((c) => bijectTo(c as Constraint));

/** Re-install the distributions' `bijectTo` as the param transform (after a test replaced it). */
export function installDefaultParamTransform(): void {
  setParamTransform((c) => bijectTo(c as Constraint));
}
