/**
 * A normalizing-flow prior over the VAE's latent codes (SCRIBE VAE, whose latent prior is N(0, I)
 * unless `vae_flow_type` asks for a flow): p(z) is a learned flow of a standard Normal on R^K
 * (`@scribe/infer`'s flows; SCRIBE's VAE config: coupling spline, 4 layers), registered in the
 * model as module `latent_prior_flow`, so SVI trains it with the networks. Its output layers
 * start at zero: a fresh flow prior is N(0, I). The KL term then has no closed form and the
 * ELBO uses log p(z) − log q(z | x) at the encoder's draw.
 * @module
 */
import { module } from "@scribe/core";
import { FLOW_KINDS, type FlowKind, type NormalizingFlowOptions, normalizingFlow } from "@scribe/infer";
import type { LatentPriorFactory } from "./options.js";

/** The module name of the flow prior's params (`latent_prior_flow$params.…`). */
export const LATENT_PRIOR_FLOW = "latent_prior_flow";

/**
 * A latent prior factory for `fit(..., { inferenceMethod: "vae", latentPrior })`: a flow of
 * `kind` on R^latentDim (default 4 layers, hidden [64, 64], 8 bins).
 * @example
 * const { results } = await fit(counts, { inferenceMethod: "vae", model: "nbdm", latentDim: 2,
 *   latentPrior: flowLatentPrior("spline_coupling", 2) });
 */
export function flowLatentPrior(
  kind: FlowKind,
  latentDim: number,
  opts: NormalizingFlowOptions = {},
): LatentPriorFactory {
  if (!FLOW_KINDS.includes(kind))
    throw new Error(
      `fit (vae): latent flow must be one of ${FLOW_KINDS.join(", ")}, got ${JSON.stringify(kind)}`,
    );
  const flow = normalizingFlow(kind, latentDim, { numLayers: 4, hiddenDims: [64, 64], numBins: 8, ...opts });
  const factory: LatentPriorFactory = (batch, K) => {
    if (K !== latentDim)
      throw new Error(`fit (vae): the flow prior was built for latentDim ${latentDim}, the VAE has ${K}`);
    return module(LATENT_PRIOR_FLOW, flow)().expand([batch]);
  };
  return Object.assign(factory, { [FLOW_PRIOR]: true });
}

/**
 * Marks a latent prior factory whose prior has no closed-form KL with a Normal (a flow): the
 * guide then gives q(z | x) as a (diagonal) low-rank multivariate normal, whose KL lookup
 * falls through to the Monte-Carlo estimate instead of pairing Independent wrappers.
 */
export const FLOW_PRIOR = Symbol("scribe.vae.flowPrior");

/** Whether a latent prior factory is a flow prior (see {@link FLOW_PRIOR}). */
export function isFlowPrior(f: LatentPriorFactory | null): boolean {
  return f !== null && (f as unknown as Record<symbol, unknown>)[FLOW_PRIOR] === true;
}
