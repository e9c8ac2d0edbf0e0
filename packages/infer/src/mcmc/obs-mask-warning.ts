/**
 * The one-time warning for `obsMask` sites under HMC/NUTS. `sample(name, fn, { obs, obsMask })`
 * splits a site, as NumPyro's `_masked_observe` does, into an observed `${name}_observed`
 * (masked to the observed entries) and a latent `${name}_unobserved` masked to the missing
 * ones, so the entries of `${name}_unobserved` where the mask is true have no density at
 * all: NumPyro documents that `obs_mask` "is not intended to be used with MCMC" (the flat
 * entries drift without bound) and otherwise lets it run; we run it the same way and say so
 * once per site.
 * @module
 */
import type { OutputSite } from "./setup.js";

const warned = new Set<string>();

/**
 * Warn (once per site name and process) about each `obsMask` site among a model's output
 * sites: a latent `${name}_unobserved` next to a deterministic `${name}`.
 * @returns the names warned about now
 */
export function warnObsMaskUnderMCMC(sites: readonly OutputSite[]): string[] {
  const deterministic = new Set(sites.filter((s) => s.deterministic).map((s) => s.name));
  const out: string[] = [];
  for (const s of sites) {
    if (s.deterministic || !s.name.endsWith("_unobserved")) continue;
    const base = s.name.slice(0, -"_unobserved".length);
    if (!deterministic.has(base) || warned.has(base)) continue;
    warned.add(base);
    out.push(base);
    console.warn(
      `MCMC: site '${base}' uses obsMask; under HMC/NUTS the entries of '${base}_unobserved' where the mask is true ` +
        "have no density (they are masked out), so they wander without bound and are meaningless. NumPyro documents " +
        "that obs_mask is not intended for MCMC; sample only the missing entries as their own latent site instead.",
    );
  }
  return out;
}
