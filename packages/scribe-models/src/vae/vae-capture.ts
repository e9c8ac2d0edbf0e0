/**
 * The per-cell capture of a vcp model in the VAE (one place, read by the model, the guide and
 * the results): whether each cell's capture is a fitted factor of its own, the site's prior
 * law for a minibatch of cells (the model samples it; the held-out ELBO integrates over it),
 * and the map from a value of the site to the capture the likelihood takes (the
 * biology-informed "eta" site gives p_capture = exp(−η), or phi_capture = exp(η) − 1 under mean_odds).
 * @module
 */
import { exp, expm1, full, neg, type Tensor } from "@scribe/core";
import { type Distribution, TruncatedNormal } from "@scribe/distributions";
import { etaPriorLocs } from "../models/eta-prior-loc.js";
import type { CaptureValue } from "../models/observation.js";
import { priorDistribution, type SiteSpec } from "../models/sites.js";
import type { VaeSpec } from "./vae-spec.js";

/**
 * Whether each cell's capture is a fitted factor of its own (a vcp model without amortized
 * capture; the eta site is never amortized): cells outside the fit have none.
 */
export function captureFittedPerCell(spec: VaeSpec): boolean {
  const s = spec.cellSite;
  return s !== null && !(spec.cfg.amortizeCapture && s.family.kind !== "eta");
}

function cellSiteOf(spec: VaeSpec): SiteSpec {
  if (!spec.cellSite) throw new Error(`vae (${spec.cfg.modelType}): the model has no capture site`);
  return spec.cellSite;
}

/**
 * The prior of the capture site (`spec.cellSite`, non-null) for `B` cells, batch shape [B].
 * `obs` [B, G] are the cells' counts (the eta prior is centred on each cell's library size;
 * without counts at 1); `values` the global sites (hierarchical hyper-parameters are read from them).
 */
export function capturePrior(
  spec: VaeSpec,
  obs: Tensor | null,
  B: number,
  values: Readonly<Record<string, Tensor>>,
): Distribution {
  const s = cellSiteOf(spec);
  if (s.family.kind !== "eta") return priorDistribution(s, values, [B]);
  const { logM0, sigma } = s.family;
  return new TruncatedNormal(
    etaPriorLocs(logM0, obs, B),
    full([B], sigma),
    0,
    Number.POSITIVE_INFINITY,
    false,
  );
}

/** The capture the likelihood takes from a value of the capture site (`spec.cellSite`, non-null). */
export function captureFromSite(spec: VaeSpec, value: Tensor): CaptureValue {
  const s = cellSiteOf(spec);
  if (s.family.kind === "eta")
    return spec.cfg.parameterization === "mean_odds"
      ? { kind: "phi_capture", value: expm1(value) }
      : { kind: "p_capture", value: exp(neg(value)) };
  return { kind: s.name as CaptureValue["kind"], value };
}
