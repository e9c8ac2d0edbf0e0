import {
  add,
  clamp,
  div,
  eq,
  exp,
  log,
  log1p,
  logsumexp,
  mul,
  neg,
  sub,
  sum,
  type Tensor,
  where,
} from "@scribe/core";
import { nbProbsLogProb } from "@scribe/distributions";
import { bnbLogProb, bnbShapes } from "../models/beta-negative-binomial.js";

/**
 * Parameters of SCRIBE's negative-binomial family in the code convention: NB(u | r, p) with
 * mean r·p/(1−p) (NumPyro's NegativeBinomialProbs). Non-mixture: p scalar, r and gate per
 * gene [G]. Mixtures add a leading component axis: p [K], r and gate [K, G], and mixing
 * weights [K]. Capture probabilities are per cell [C].
 */
export interface NbFamilyParams {
  readonly p: Tensor;
  readonly r: Tensor;
  readonly gate?: Tensor;
  readonly pCapture?: Tensor;
  readonly mixingWeights?: Tensor;
  /** BNB excess-dispersion fraction ω per gene [G] (SCRIBE BNB overdispersion); absent: NB. */
  readonly bnbConcentration?: Tensor;
}

export interface LogLikelihoodOptions {
  /** Sum over genes ("cell", shape [C]) or over cells ("gene", shape [G]). */
  readonly returnBy?: "cell" | "gene";
  /** Mixtures: keep the component axis (last) instead of marginalizing it. */
  readonly splitComponents?: boolean;
  /** Per-gene weights on the cell branch, per-cell weights on the gene branch. */
  readonly weights?: Tensor;
  /** "multiplicative" scales each entry before summing; "additive" adds to it. */
  readonly weightType?: "multiplicative" | "additive";
  /** Floors that keep r and p away from the boundaries (SCRIBE's r_floor, p_floor). */
  readonly rFloor?: number;
  readonly pFloor?: number;
}

/**
 * The effective success probability after binomial capture thinning:
 * p̂ = p·ν / (1 − p·(1 − ν)), so NB(r, p) thinned by Binomial(·, ν) is NB(r, p̂).
 */
export function capturedProbability(p: Tensor, nu: Tensor): Tensor {
  return div(mul(p, nu), sub(1, mul(p, sub(1, nu))));
}

/**
 * Elementwise log-likelihood of each count: [C, G], or [C, K, G] for mixtures (without the
 * mixing weights). Zero inflation: log(g + (1−g)·NB(0)) at zero, log(1−g) + log NB(u) above.
 */
export function elementLogLikelihood(
  counts: Tensor,
  params: NbFamilyParams,
  opts: LogLikelihoodOptions = {},
): Tensor {
  const pFloor = opts.pFloor ?? 1e-6;
  const rFloor = opts.rFloor ?? 1e-6;
  const mixture = params.mixingWeights !== undefined;
  const [C, G] = counts.shape as [number, number];
  // Shapes for broadcasting: non-mixture [C, G]; mixture [C, K, G].
  const u = mixture ? counts.reshape([C, 1, G]) : counts;
  const r = clamp(params.r, rFloor);
  let p = mixture ? params.p.reshape([-1, 1]) : params.p;
  if (params.pCapture) {
    const nu = mixture ? params.pCapture.reshape([C, 1, 1]) : params.pCapture.reshape([C, 1]);
    p = capturedProbability(p, nu);
  }
  p = clamp(p, pFloor, 1 - pFloor);
  let nb: Tensor;
  if (params.bnbConcentration) {
    const { alpha, kappa } = bnbShapes(p, r, params.bnbConcentration);
    nb = bnbLogProb(u, r, alpha, kappa);
  } else nb = nbProbsLogProb(u, r, p);
  if (!params.gate) return nb;
  const g = params.gate;
  return where(eq(u, 0), log(add(g, mul(sub(1, g), exp(nb)))), add(log1p(neg(g)), nb));
}

/**
 * SCRIBE's per-cell or per-gene log-likelihood for the NB family (nbdm, zinb, nbvcp,
 * zinbvcp and their mixtures). Mixture semantics: per cell, logsumexp over components of
 * (log π_k + Σ_g log f_k); per gene, logsumexp over components of (log π_k + Σ_c log f_k).
 */
export function nbFamilyLogLikelihood(
  counts: Tensor,
  params: NbFamilyParams,
  opts: LogLikelihoodOptions = {},
): Tensor {
  return reduceLogLikelihood(elementLogLikelihood(counts, params, opts), counts, params.mixingWeights, opts);
}

/**
 * The reduction shared by every model family: from elementwise log-likelihoods [C, G] (or
 * [C, K, G] for mixtures, mixing weights excluded) to per-cell [C] or per-gene [G] values
 * (with weights, and for mixtures the logsumexp over components including log π_k, or the
 * split [·, K] values).
 */
export function reduceLogLikelihood(
  lpElem: Tensor,
  counts: Tensor,
  mixingWeights: Tensor | undefined,
  opts: LogLikelihoodOptions = {},
): Tensor {
  const byCell = (opts.returnBy ?? "cell") === "cell";
  const mixture = mixingWeights !== undefined;
  let lp = lpElem;
  if (opts.weights) {
    const [C, G] = counts.shape as [number, number];
    const w = byCell ? opts.weights.reshape([G]) : opts.weights.reshape(mixture ? [C, 1, 1] : [C, 1]);
    lp = opts.weightType === "additive" ? add(lp, w) : mul(lp, w);
  }
  if (!mixture) return sum(lp, byCell ? -1 : 0);
  const logPi = log(mixingWeights);
  // [C, K] per cell or [K, G] → [G, K] per gene, then add log π_k.
  const perComponent = byCell ? add(sum(lp, -1), logPi) : add(sum(lp, 0).transpose(), logPi);
  return opts.splitComponents ? perComponent : logsumexp(perComponent, -1);
}
