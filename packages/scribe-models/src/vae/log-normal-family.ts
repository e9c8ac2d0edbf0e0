/**
 * The logistic-normal families in the VAE (issue 19 item 3; SCRIBE logistic-normal families,
 * see docs/SOURCES.md): PLN, NBLN and LNM's composition. Per cell z_c ~ N(0, I_K) (K = `latentDim`), the
 * decoder gives the latent log rates (PLN, NBLN; G values) or ALR coordinates (LNM; G − 1
 * values) x_c = decoder(z_c) + √d ⊙ ε_c, ε_c ~ N(0, I) drawn in the model only (no guide
 * site: SCRIBE's d_mode "learned"). The default decoder is one linear layer, x = μ + W z
 * (Σ = W Wᵀ + diag(d), the family's own latent Gaussian); hidden layers make it an MLP.
 * The counts' likelihood is the observation model of the Laplace engine
 * (`laplace/observation.ts`: Poisson, NB in log space, multinomial in ALR coordinates), the
 * one module both inference methods score cells with.
 *
 * PLN and NBLN may take the per-cell library offset of `laplace/log-offset.ts` ("log-library":
 * log rate x_c + log(N_c / N̄), N̄ the fitted cells' mean total, fixed in the family): it is
 * computed from the counts being scored, so every results method applies it to any cells.
 *
 * LNM's totals are independent of the composition (SCRIBE `lnm`) and are fitted on their own as the
 * Laplace path does (`laplace/totals.ts`). lnmvcp's composition is LNM's (capture enters only
 * its totals' NB, SCRIBE `lnmvcp`), so the VAE fits it as LNM and its totals with the per-cell capture
 * integrated out under the flat or biology-informed prior, again as the Laplace path does.
 * @module
 */
import {
  concat,
  type DistributionLike,
  exp,
  factor,
  fromTypedArray,
  lgamma,
  param,
  prngKey,
  random,
  type Shape,
  type Tensor,
  zeros,
} from "@scribe/core";
import {
  type Distribution,
  MultinomialLogits,
  NegativeBinomialLogits,
  Normal,
  Poisson,
} from "@scribe/distributions";
import { alrLatentGenes } from "../laplace/alr-reference.js";
import { logLibraryOffset, logLibraryOffsetOf } from "../laplace/log-offset.js";
import {
  multinomialAlrObservation,
  negativeBinomialObservation,
  type ObservationData,
  type ObservationGlobals,
  type ObservationModel,
  poissonObservation,
} from "../laplace/observation.js";
import { NBLN_START_R } from "../laplace/svi-cascade.js";

/** The logistic-normal models VAE inference supports. */
export const LOG_NORMAL_VAE_MODELS = ["pln", "nbln", "lnm", "lnmvcp"] as const;

/** One of {@link LOG_NORMAL_VAE_MODELS}. */
export type LogNormalVaeModel = (typeof LOG_NORMAL_VAE_MODELS)[number];

/** The default decoder of these families: no hidden layer, x = μ + W z (SCRIBE's linear decoder). */
export const LOG_NORMAL_DECODER: readonly number[] = [];
/** Param of the log of the decoder noise variance d [dim]. */
export const LOG_D = "vae_log_d";
/** NBLN: param of the genes' log dispersion log r [G] (a point estimate under its LogNormal prior). */
export const LOG_R = "vae_log_r";
/** Initial decoder noise variance (the noise starts small beside typical log-rate spreads of order 1). */
const D_START = 0.1;

/** What the model, the guide and the results of a logistic-normal VAE need to know about its family. */
export interface LogNormalVaeFamily {
  readonly model: LogNormalVaeModel;
  /** The Laplace engine's observation model of the family. */
  readonly obs: ObservationModel;
  readonly nGenes: number;
  /** Dimension of x: G (PLN, NBLN) or G − 1 (LNM). */
  readonly dim: number;
  /** LNM: the ALR reference gene; −1 otherwise. */
  readonly alrReference: number;
  /**
   * LNM: the counts' columns in the order the observation reads them (the ALR coordinates'
   * genes, then the reference last), and its inverse; null for PLN and NBLN.
   */
  readonly columnOrder: { readonly toObserved: Int32Array; readonly toGenes: Int32Array } | null;
  /** NBLN: loc of the LogNormal(loc, 1) prior on r (default 0, as SCRIBE without data). */
  readonly rPriorLoc: number;
  /**
   * PLN/NBLN with the "log-library" offset: the mean total N̄ it divides by (that of the fitted
   * cells); null for no offset.
   */
  readonly libraryMean: number | null;
}

/** Whether `model` is one of the logistic-normal models the VAE fits. */
export function isLogNormalVaeModel(model: unknown): model is LogNormalVaeModel {
  return typeof model === "string" && (LOG_NORMAL_VAE_MODELS as readonly string[]).includes(model);
}

/**
 * The family of `model` over `nGenes` genes (`alrReference`: LNM's reference gene, chosen by
 * `selectAlrReference` when fitting; `libraryMean`: N̄ of the "log-library" offset, PLN/NBLN).
 * @example
 * const fam = logNormalVaeFamily("lnm", 5, 2); // fam.dim === 4
 */
export function logNormalVaeFamily(
  model: LogNormalVaeModel,
  nGenes: number,
  alrReference = -1,
  rPriorLoc = 0,
  libraryMean: number | null = null,
): LogNormalVaeFamily {
  if (!isLogNormalVaeModel(model))
    throw new Error(
      `fit (vae): the logistic-normal VAE fits ${LOG_NORMAL_VAE_MODELS.join(", ")}, not ${JSON.stringify(model)}`,
    );
  if (!Number.isFinite(rPriorLoc))
    throw new Error(`fit (vae, model nbln): rPriorLoc must be finite, got ${rPriorLoc}`);
  if (libraryMean !== null && !(libraryMean > 0 && Number.isFinite(libraryMean)))
    throw new Error(
      `fit (vae, model ${model}): the library offset's mean total must be > 0, got ${libraryMean}`,
    );
  if (libraryMean !== null && (model === "lnm" || model === "lnmvcp"))
    throw new Error(
      `fit (vae, model ${model}): logOffset is PLN's and NBLN's (a log-rate offset); ${model} models the composition, whose totals are fitted apart`,
    );
  if (model === "pln" || model === "nbln")
    return {
      model,
      obs: model === "pln" ? poissonObservation : negativeBinomialObservation,
      nGenes,
      dim: nGenes,
      alrReference: -1,
      columnOrder: null,
      rPriorLoc,
      libraryMean,
    };
  if (nGenes < 2) throw new Error(`fit (vae, model ${model}): needs at least 2 genes`);
  if (!Number.isInteger(alrReference) || alrReference < 0 || alrReference >= nGenes)
    throw new Error(
      `fit (vae, model ${model}): alrReference must be a gene index in [0, ${nGenes}), got ${alrReference}`,
    );
  const order = Int32Array.from([...alrLatentGenes(nGenes, alrReference), alrReference]);
  const inverse = new Int32Array(nGenes);
  order.forEach((g, i) => {
    inverse[g] = i;
  });
  return {
    model,
    obs: multinomialAlrObservation,
    nGenes,
    dim: nGenes - 1,
    alrReference,
    columnOrder: { toObserved: order, toGenes: inverse },
    rPriorLoc,
    libraryMean: null,
  };
}

/**
 * The observation data of counts [B, G] (genes in their original order): the columns as the
 * observation reads them, the totals, the library offset (when the family has one) and the
 * terms of log p(u | x) free of x (−Σ log u! for PLN and NBLN, + log N! for LNM, as the
 * Laplace path's constants), computed per minibatch.
 */
export function observationData(family: LogNormalVaeFamily, counts: Tensor): ObservationData {
  const order = family.columnOrder?.toObserved;
  const observed = order ? counts.gather(fromTypedArray(order), 1) : counts;
  const totals = counts.sum(-1, true);
  const logFactorials = lgamma(counts.add(1)).sum(-1);
  const constant =
    family.obs === multinomialAlrObservation
      ? lgamma(totals.add(1)).reshape([-1]).sub(logFactorials)
      : logFactorials.neg();
  return { counts: observed, offset: libraryOffsetOf(family, totals), totals, constant };
}

/** The family's log offset of cells with totals [B, 1], or null without one. */
function libraryOffsetOf(family: LogNormalVaeFamily, totals: Tensor): Tensor | null {
  return family.libraryMean === null ? null : logLibraryOffsetOf(totals, family.libraryMean);
}

/**
 * The counts' likelihood as a sample site's distribution: batch [B] (one per cell), event [G];
 * `logProb(u)` is the observation model's log p(u_c | x_c). It only scores observed counts.
 */
export class LogNormalCountsLikelihood implements DistributionLike {
  readonly batchShape: Shape;
  readonly eventShape: Shape;

  constructor(
    readonly family: LogNormalVaeFamily,
    /** Latent values x [B, dim]. */
    readonly x: Tensor,
    readonly globals: ObservationGlobals,
  ) {
    this.batchShape = [x.shape[0]!];
    this.eventShape = [family.nGenes];
  }

  logProb(counts: Tensor): Tensor {
    return this.family.obs.logLik(this.x, observationData(this.family, counts), this.globals);
  }

  sample(): Tensor {
    throw new Error(
      `vae (model ${this.family.model}): this likelihood only scores observed counts; draw counts with ScribeVAEResults.getPosteriorPredictiveCounts`,
    );
  }

  expand(batchShape: Shape): DistributionLike {
    if (batchShape.length === 1 && batchShape[0] === this.batchShape[0]) return this;
    throw new Error(
      `vae (model ${this.family.model}): the counts' likelihood has batch shape [${this.batchShape}], cannot expand to [${batchShape}]`,
    );
  }
}

/**
 * The family's globals inside the model: the decoder noise log-variance (a param) and, for
 * NBLN, log r (a param) with its LogNormal(rPriorLoc, 1) prior as a factor outside the cells.
 */
export function logNormalGlobalsInModel(family: LogNormalVaeFamily): { logD: Tensor; logR: Tensor | null } {
  const logD = param(LOG_D, fromTypedArray(new Float32Array(family.dim).fill(Math.log(D_START))));
  if (family.model !== "nbln") return { logD, logR: null };
  const logR = param(LOG_R, fromTypedArray(new Float32Array(family.nGenes).fill(Math.log(NBLN_START_R))));
  factor("r_prior", new Normal(family.rPriorLoc, 1).logProb(logR).sum());
  return { logD, logR };
}

/** x = decoder output + √d ⊙ ε for the model (ε from the enclosing seed handler). */
export function noisyLatent(mean: Tensor, logD: Tensor): Tensor {
  const k = prngKey();
  if (!k) throw new Error("vae (logistic-normal): the decoder noise needs a seed handler (SVI provides one)");
  return mean.add(random.normal(k, [...mean.shape]).mul(exp(logD.mul(0.5))));
}

/** One decoded minibatch of a logistic-normal family (see `decode.ts` for the NB families). */
export interface DecodedLogNormalCells {
  /** The counts' likelihood per cell (batch [B], event [G]) at the given x. */
  readonly cells: LogNormalCountsLikelihood;
  /** Expected counts [B, G]: PLN/NBLN exp(x + o + d/2) (x's noise integrated, o the library offset); LNM N_c ρ at x. */
  readonly mean: Tensor;
  /** Denoised expression [B, G]: the rates exp(x) at the mean library (PLN/NBLN) or the composition ρ (LNM), genes in order. */
  readonly denoised: Tensor;
  /** x [B, dim], d [dim] and NBLN's r [G]. */
  readonly params: Record<string, Tensor>;
}

/**
 * Decode x [B, dim] (`counts` [B, G] give LNM's totals): the likelihood, the expectations and
 * the parameters (`d` the noise variance, `logR` NBLN's log dispersion).
 */
export function decodeLogNormalCells(
  family: LogNormalVaeFamily,
  x: Tensor,
  d: Tensor,
  logR: Tensor | null,
  counts: Tensor,
): DecodedLogNormalCells {
  const globals: ObservationGlobals = logR ? { logR } : {};
  const cells = new LogNormalCountsLikelihood(family, x, globals);
  const params: Record<string, Tensor> = { x, d, ...(logR ? { r: exp(logR) } : {}) };
  if (!family.columnOrder) {
    const rate = exp(x.clamp(-30, 30));
    const offset = libraryOffsetOf(family, counts.sum(-1, true));
    const logMean = x.add(d.mul(0.5));
    const mean = exp((offset ? logMean.add(offset) : logMean).clamp(-30, 30));
    return { cells, mean, denoised: rate, params };
  }
  const logits = concat([x, zeros([x.shape[0]!, 1], x.dtype)], 1); // [y, 0]: the reference last
  const rho = exp(logits.sub(logits.logsumexp(-1, true))).gather(
    fromTypedArray(family.columnOrder.toGenes),
    1,
  );
  return { cells, mean: rho.mul(counts.sum(-1, true)), denoised: rho, params: { ...params, rho } };
}

/**
 * The counts' distribution at latent values x [B, dim], to draw from (batch [B, G] for PLN and
 * NBLN, [B] with event [G] for LNM; genes in their original order): PLN Poisson(eˣ), NBLN
 * NB(r, mean eˣ) (NegativeBinomialLogits with logits x − log r, as the observation's log space),
 * LNM Multinomial(N_c, softmax([x, 0])) with the reference gene's logit 0 and `totals` [B] the
 * cells' totals N_c (LNM's totals model is separate; PLN and NBLN read them only for
 * the library offset, added to x when the family has one). The log rate is clamped to ±30 as
 * {@link decodeLogNormalCells} does.
 */
export function countsDistributionAt(
  family: LogNormalVaeFamily,
  x: Tensor,
  logR: Tensor | null,
  totals: Tensor,
): Distribution {
  const offset = libraryOffsetOf(family, totals.reshape([-1, 1]));
  const xc = (offset ? x.add(offset) : x).clamp(-30, 30);
  if (family.model === "pln") return new Poisson(exp(xc));
  if (family.model === "nbln") {
    if (!logR) throw new Error("vae (model nbln): drawing counts needs the fitted log r");
    return new NegativeBinomialLogits(exp(logR), xc.sub(logR));
  }
  const order = family.columnOrder;
  if (!order) throw new Error(`vae (model ${family.model}): no ALR column order`);
  const logits = concat([xc, zeros([xc.shape[0]!, 1], xc.dtype)], 1).gather(fromTypedArray(order.toGenes), 1);
  return new MultinomialLogits(totals, logits);
}

/**
 * The decoder's starting bias (the start of μ), from the counts as the Laplace engine's start
 * transforms them (`fit-laplace.ts`): the per-gene mean of log1p(u) − o_c (PLN, NBLN; o the
 * library offset, if any), or of the smoothed log-ratios log(u_g + ½) − log(u_ref + ½) (LNM).
 * Host arrays, C × G row-major.
 */
export function latentStart(
  family: LogNormalVaeFamily,
  counts: ArrayLike<number>,
  nCells: number,
): Float32Array {
  const G = family.nGenes;
  const offset = (c: number): number => {
    if (family.libraryMean === null) return 0;
    let total = 0;
    for (let g = 0; g < G; g++) total += counts[c * G + g]!;
    return logLibraryOffset(total, family.libraryMean);
  };
  const order = family.columnOrder?.toObserved;
  const ref = family.alrReference;
  const sums = new Float64Array(family.dim);
  for (let c = 0; c < nCells; c++) {
    const o = offset(c);
    for (let i = 0; i < family.dim; i++) {
      const u = counts[c * G + (order ? order[i]! : i)]!;
      sums[i]! += order ? Math.log(u + 0.5) - Math.log(counts[c * G + ref]! + 0.5) : Math.log1p(u) - o;
    }
  }
  return Float32Array.from(sums, (s) => s / nCells);
}
