/**
 * From the decoder's output to the per-cell, per-gene likelihood (one place, read by the model
 * and by the results). SCRIBE form: the gene head through softplus gives r (canonical) or mu
 * (mean_prob, mean_odds) per cell and gene, the global p or phi gives the rest by the
 * identities of SCRIBE NB parameterizations, capture thins p as in SVI
 * (`nbComponentDistribution`), and zero inflation stays in logit space (`ZeroInflatedLogits`).
 * scVI form (the seed on NB modelling, log-space version): log mean = log ℓ_c + h −
 * logsumexp(h), NB logits = log mean − log θ, `NegativeBinomialLogits(θ, logits)`.
 * @module
 */
import { clamp, div, exp, log, logsumexp, mul, sigmoid, softplus, sub, type Tensor } from "@scribe/core";
import { type Distribution, NegativeBinomialLogits, ZeroInflatedLogits } from "@scribe/distributions";
import { type CaptureValue, nbComponentDistribution, P_FLOOR } from "../models/observation.js";
import type { CoreValues } from "../models/parameterization.js";
import type { VaeSpec } from "./vae-spec.js";

/** Floor added to the softplus gene head (SCRIBE's r_floor, SCRIBE models). */
export const GENE_FLOOR = 1e-6;

/** One minibatch of decoded cells. */
export interface DecodedCells {
  /** The likelihood of each count, batch shape [B, G] (apply `toEvent(1)` for one site per cell). */
  readonly dist: Distribution;
  /** Expected observed count [B, G] (capture and zero inflation included). */
  readonly mean: Tensor;
  /** Denoised expression [B, G]: the expected count without capture and zero inflation. */
  readonly denoised: Tensor;
  /** The NB parameters per cell and gene (SCRIBE form; r, p, mu, phi broadcastable to [B, G]). */
  readonly params: Record<string, Tensor>;
}

function headSlices(spec: VaeSpec, h: Tensor): { gene: Tensor; gateLogits: Tensor | null } {
  const B = h.shape[0]!;
  const G = spec.cfg.nGenes;
  if (!spec.zeroInflated) return { gene: h, gateLogits: null };
  return { gene: h.slice([0, 0], [B, G]), gateLogits: h.slice([0, G], [B, 2 * G]) };
}

/** r, p, mu, phi from the decoded gene parameter and the global p or phi (SCRIBE NB parameterizations). */
function nbParams(spec: VaeSpec, gene: Tensor, globals: Readonly<Record<string, Tensor>>): CoreValues {
  const par = spec.cfg.parameterization;
  if (par === "mean_odds") {
    const phi = globals.phi;
    if (!phi) throw new Error("vae decoder: the mean_odds model has no global 'phi'");
    return { mu: gene, phi, r: mul(gene, phi), p: div(1, phi.add(1)) };
  }
  const p = globals.p;
  if (!p) throw new Error(`vae decoder: the ${par} model has no global 'p'`);
  const odds = div(p, sub(1, p)); // p/(1 − p)
  if (par === "mean_prob") return { p, mu: gene, r: div(gene, odds), phi: div(sub(1, p), p) };
  return { p, r: gene, mu: mul(gene, odds), phi: div(sub(1, p), p) };
}

/**
 * Decode a minibatch: `h` is the decoder's output [B, G·(1 + zi)]; `globals` holds p or phi
 * (SCRIBE form); `capture` the cells' capture (vcp models); `counts` [B, G] the observed
 * counts (the scVI form's library offset); `logTheta` [G] the scVI form's log-dispersion.
 */
export function decodeCells(
  spec: VaeSpec,
  h: Tensor,
  globals: Readonly<Record<string, Tensor>>,
  capture: CaptureValue | null,
  counts: Tensor | null,
  logTheta: Tensor | null,
): DecodedCells {
  const { gene, gateLogits } = headSlices(spec, h);
  const keep = gateLogits ? sub(1, sigmoid(gateLogits)) : null;
  const inflate = (base: Distribution) =>
    gateLogits ? new ZeroInflatedLogits(base, gateLogits, false) : base;
  if (spec.opts.decoderForm === "scvi") {
    if (!counts)
      throw new Error(
        "vae decoder (scvi form): the library size is an observed offset, so counts are needed",
      );
    if (!logTheta) throw new Error("vae decoder (scvi form): missing the log-dispersion param");
    const logLib = log(clamp(counts.sum(-1, true), 1));
    const logMean = logLib.add(gene).sub(logsumexp(gene, [-1], true));
    const nb = new NegativeBinomialLogits(exp(logTheta), logMean.sub(logTheta), false);
    const denoised = exp(logMean);
    return {
      dist: inflate(nb),
      mean: keep ? denoised.mul(keep) : denoised,
      denoised,
      params: { logMean, theta: exp(logTheta) },
    };
  }
  const core = nbParams(spec, softplus(gene).add(GENE_FLOOR), globals);
  const base = nbComponentDistribution(spec.cfg, core, capture);
  // expected observed NB count r·p̂/(1 − p̂) = r·exp(logits), from the distribution actually used
  const nbMean = (base as unknown as { mean: Tensor }).mean;
  const pBio = clamp(core.p, P_FLOOR, 1 - P_FLOOR);
  const denoised = mul(core.r, div(pBio, sub(1, pBio)));
  return {
    dist: inflate(base),
    mean: keep ? nbMean.mul(keep) : nbMean,
    denoised,
    params: {
      r: core.r,
      p: core.p,
      mu: core.mu,
      phi: core.phi,
      ...(gateLogits ? { gate: sigmoid(gateLogits) } : {}),
    },
  };
}
