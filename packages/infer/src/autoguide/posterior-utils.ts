/**
 * Helpers shared by the autoguides' posterior methods: quantiles of Normal marginals in
 * unconstrained space, and moving draws through a site's transform.
 * @module
 */
import { ndtri, stack, type Tensor, tensor } from "@scribe/core";
import type { LatentSiteInfo } from "./prototype.js";

/** loc + scale·Φ⁻¹(q) for each q, stacked on a new leading axis. */
export function normalQuantiles(loc: Tensor, scale: Tensor, qs: readonly number[]): Tensor {
  for (const q of qs) if (!(q > 0 && q < 1)) throw new Error(`quantiles: each q must be in (0, 1), got ${q}`);
  const z = ndtri(tensor([...qs], { dtype: loc.dtype === "float64" ? "float64" : "float32" }));
  return stack(qs.map((_, i) => loc.add(scale.mul(z.slice([i], [i + 1]).reshape([])))));
}

/** The site's constrained value of an unconstrained one (a draw or a summary: the portable map). */
export function toConstrained(site: LatentSiteInfo, u: Tensor): Tensor {
  return site.isReal ? u : site.transform.drawForward(u);
}

/** log|det J| of the site's transform at u, summed to the site's batch shape (x's rank minus its event dims). */
export function siteLogDet(site: LatentSiteInfo, u: Tensor, x: Tensor): Tensor {
  let ladj = site.transform.logAbsDetJacobian(u, x);
  const extra = ladj.rank - (x.rank - site.eventDim);
  if (extra > 0) ladj = ladj.sum(Array.from({ length: extra }, (_, i) => ladj.rank - 1 - i));
  return ladj;
}
