/**
 * Observation models of the Laplace engine: log p(u_c | x_c) per cell with its gradient and
 * negative Hessian in x. The Hessian is diagonal (Poisson, NB) or diagonal minus a rank-one
 * term (multinomial in ALR coordinates), which the Newton solve handles by Sherman–Morrison.
 *
 * Forms follow SCRIBE's logistic-normal families (see docs/SOURCES.md): PLN u ~ Poisson(exp(clip(x + o, ±30)));
 * NBLN u ~ NB(mean exp(clip(x + o, ±50)), size r) in log space (log r/(r+m) =
 * −softplus(log m − log r)); LNM u ~ Multinomial(N, softmax([y, 0])) with the ALR reference
 * as the last part. `o` is an optional per-cell log offset (SCRIBE's −η_c).
 * @module
 */
import { concat, lgamma, sigmoid, softplus, type Tensor, zeros } from "@scribe/core";

/** Cell data an observation model reads: counts, optional log offset, constant terms. */
export interface ObservationData {
  /** Counts [C, G] (float, the engine's dtype). */
  readonly counts: Tensor;
  /** Per-cell log offset [C, 1] added to the log rate (PLN/NBLN), or null. */
  readonly offset: Tensor | null;
  /** Totals N_c [C, 1] (LNM). */
  readonly totals: Tensor;
  /** −Σ_g log u_cg! [C] (and + log N_c! for LNM): the parts of log p(u | x) free of x and globals. */
  readonly constant: Tensor;
}

/** Gradient and negative Hessian of log p(u | x): −∇² = diag(curvature) − rankOne rankOneᵀ. */
export interface ObservationTerms {
  readonly grad: Tensor;
  readonly curvature: Tensor;
  readonly rankOne: Tensor | null;
}

/** Globals an observation model may use beyond the latent Gaussian (NBLN: log r [G]). */
export interface ObservationGlobals {
  readonly logR?: Tensor;
}

/** An observation model of the Laplace engine. */
export interface ObservationModel {
  /** "poisson" | "negative-binomial" | "multinomial-alr". */
  readonly name: string;
  /** Latent dimension for G genes (G, or G − 1 in ALR coordinates). */
  latentDim(nGenes: number): number;
  /** log p(u_c | x_c) per cell [C], differentiable in the globals. */
  logLik(x: Tensor, data: ObservationData, globals: ObservationGlobals): Tensor;
  /** Gradient and negative Hessian in x. */
  terms(x: Tensor, data: ObservationData, globals: ObservationGlobals): ObservationTerms;
}

function logRate(x: Tensor, data: ObservationData, clip: number): Tensor {
  const eta = data.offset ? x.add(data.offset) : x;
  return eta.clamp(-clip, clip);
}

/** PLN: Poisson with log rate x (+ offset), clipped to ±30 as SCRIBE does. */
export const poissonObservation: ObservationModel = {
  name: "poisson",
  latentDim: (g) => g,
  logLik(x, data) {
    const eta = logRate(x, data, 30);
    return data.counts.mul(eta).sub(eta.exp()).sum(-1).add(data.constant);
  },
  terms(x, data) {
    const rate = logRate(x, data, 30).exp();
    return { grad: data.counts.sub(rate), curvature: rate, rankOne: null };
  },
};

function nbLogR(globals: ObservationGlobals): Tensor {
  if (!globals.logR) throw new Error("negative-binomial observation: the dispersion log r is missing");
  return globals.logR;
}

/** NBLN: negative binomial with log mean x (+ offset, clipped to ±50) and gene dispersion r. */
export const negativeBinomialObservation: ObservationModel = {
  name: "negative-binomial",
  latentDim: (g) => g,
  logLik(x, data, globals) {
    const logR = nbLogR(globals);
    const r = logR.exp();
    const eta = logRate(x, data, 50);
    const u = data.counts;
    // log Γ(u+r) − log Γ(r) + r log(r/(r+m)) + u log(m/(r+m)); −log u! is in the constant
    const lg = lgamma(u.add(r)).sub(lgamma(r));
    const lr = softplus(eta.sub(logR)).mul(r).neg();
    const lm = softplus(logR.sub(eta)).mul(u).neg();
    return lg.add(lr).add(lm).sum(-1).add(data.constant);
  },
  terms(x, data, globals) {
    const logR = nbLogR(globals);
    const r = logR.exp();
    const s = sigmoid(logRate(x, data, 50).sub(logR)); // m / (m + r)
    const ur = data.counts.add(r);
    return { grad: data.counts.sub(ur.mul(s)), curvature: ur.mul(s).mul(s.neg().add(1)), rankOne: null };
  },
};

function alrLogits(y: Tensor): Tensor {
  return concat([y, zeros([y.shape[0]!, 1], y.dtype)], 1);
}

/**
 * LNM composition: multinomial with proportions softmax([y, 0]) (the ALR reference is the
 * last column of the counts). Totals are modelled separately (see `lnm-totals.ts`).
 */
export const multinomialAlrObservation: ObservationModel = {
  name: "multinomial-alr",
  latentDim: (g) => g - 1,
  logLik(y, data) {
    const logits = alrLogits(y);
    const logP = logits.sub(logits.logsumexp(-1, true));
    return data.counts.mul(logP).sum(-1).add(data.constant);
  },
  terms(y, data) {
    const G1 = y.shape[1]!;
    const logits = alrLogits(y);
    const rho = logits.sub(logits.logsumexp(-1, true)).exp().slice([0, 0], [null, G1]);
    const uHead = data.counts.slice([0, 0], [null, G1]);
    const nRho = rho.mul(data.totals);
    return { grad: uHead.sub(nRho), curvature: nRho, rankOne: rho.mul(data.totals.sqrt()) };
  },
};
