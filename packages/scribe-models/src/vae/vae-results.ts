/**
 * The results of VAE inference (SCRIBE's `ScribeVAEResults`, see docs/SOURCES.md): the fitted
 * networks and global factors, with the latent embedding (`getLatentEmbedding`: per-cell
 * means of q(z | x)), the decoded per-cell parameters, the reconstruction (expected observed
 * counts and their per-gene means) and denoising through the decoder. Every method returns
 * tensors; nothing reads back.
 * @module
 */
import { type Key, random, splitKey, type Tensor, zeros } from "@scribe/core";
import { Beta, type Distribution } from "@scribe/distributions";
import { amortizedCaptureFactor } from "../guides/amortized-capture.js";
import { meanFieldFactor, type ParamGetter } from "../guides/factors.js";
import { type ModelOptions, type ModelType, makeConfig } from "../models/config.js";
import { checkCountsShape } from "../models/model.js";
import type { CaptureValue } from "../models/observation.js";
import { ScribeBetaPrime } from "../models/scribe-beta-prime.js";
import { TransformedNormal } from "../models/transformed-normal.js";
import { decodeTensor, type EncodedTensor, encodeRecordAsync } from "../results/serialize.js";
import { type DecodedCells, decodeCells } from "./decode.js";
import {
  countsDistributionAt,
  type DecodedLogNormalCells,
  decodeLogNormalCells,
  isLogNormalVaeModel,
  LOG_D,
  LOG_R,
  LogNormalCountsLikelihood,
  type LogNormalVaeFamily,
  logNormalVaeFamily,
} from "./log-normal-family.js";
import { moduleParams } from "./networks.js";
import type { ResolvedVaeOptions } from "./options.js";
import { captureFittedPerCell, captureFromSite, capturePrior } from "./vae-capture.js";
import { encode, LOG_THETA } from "./vae-model.js";
import { type GeneStats, makeLogNormalVaeSpec, makeVaeSpec, type VaeSpec } from "./vae-spec.js";

/** What {@link ScribeVAEResults} is built from. */
export interface VaeResultsInit {
  readonly spec: VaeSpec;
  /** Fitted constrained params (networks, global and capture factors, scVI log-dispersion), on the CPU. */
  readonly params: Readonly<Record<string, Tensor>>;
  readonly lossHistory: Float64Array;
  readonly obsNames?: string[] | undefined;
  readonly varNames?: string[] | undefined;
  readonly meta?: Record<string, unknown>;
  /** The model options the configuration was built from (stored by `toJSONAsync`, so a load rebuilds it). */
  readonly modelOptions?: Readonly<Record<string, unknown>>;
}

/** The JSON form of {@link ScribeVAEResults} (`params.json` of `scribe fit --inference-method vae`). */
export interface VaeResultsJson {
  readonly format: "scribe-vae-results";
  readonly version: 1;
  readonly modelType: string;
  readonly inferenceMethod: "vae";
  /** Model options without the cell/gene counts (those are in `shape`). */
  readonly modelOptions: Record<string, unknown>;
  /** [cells, genes] of the training data. */
  readonly shape: [number, number];
  readonly vaeOptions: ResolvedVaeOptions;
  /** The training data's per-gene statistics (the encoder's standardisation reads them). */
  readonly geneStats: { mean: number[]; logMean: number[]; logSd: number[] };
  readonly params: Record<string, EncodedTensor>;
  readonly lossHistory: number[];
  readonly obsNames?: string[];
  readonly varNames?: string[];
  readonly meta: Record<string, unknown>;
  /**
   * pln, nbln, lnm, lnmvcp: what rebuilds the family (LNM's ALR reference, NBLN's prior loc
   * of r, PLN/NBLN's library offset mean total N̄ or null).
   */
  readonly logNormal?: { alrReference: number; rPriorLoc: number; libraryMean?: number | null };
}

/** A point value of a guide factor: Beta mean, BetaPrime's φ at the Beta mean (β/α), T(loc) for Normal + transform. */
function pointValue(d: Distribution): Tensor {
  if (d instanceof ScribeBetaPrime) return d.concentration0.div(d.concentration1);
  if (d instanceof Beta) return d.mean;
  if (d instanceof TransformedNormal) return d.transforms[0]!.forward(d.base.loc);
  return (d as unknown as { mean: Tensor }).mean;
}

/** Fitted VAE. */
export class ScribeVAEResults {
  readonly inferenceMethod = "vae" as const;
  readonly spec: VaeSpec;
  readonly params: Readonly<Record<string, Tensor>>;
  readonly lossHistory: Float64Array;
  readonly obsNames: string[] | undefined;
  readonly varNames: string[] | undefined;
  readonly meta: Record<string, unknown>;
  readonly #modelOptions: Readonly<Record<string, unknown>>;

  constructor(init: VaeResultsInit) {
    this.#modelOptions = init.modelOptions ?? {};
    this.spec = init.spec;
    this.params = init.params;
    this.lossHistory = init.lossHistory;
    this.obsNames = init.obsNames;
    this.varNames = init.varNames;
    this.meta = init.meta ?? {};
  }

  /** Model name, e.g. "nbvcp" or "pln". */
  get modelType(): string {
    return this.spec.logNormal?.model ?? this.spec.cfg.modelType;
  }

  /** The fitted param `name` (an error naming it when missing). */
  private fitted(name: string): Tensor {
    const v = this.params[name];
    if (!v) throw new Error(`VAE results: fitted params have no '${name}'`);
    return v;
  }

  private get getter(): ParamGetter {
    return (name) => {
      const v = this.params[name];
      if (!v) throw new Error(`VAE results: fitted params have no '${name}'`);
      return v;
    };
  }

  private checkCounts(counts: Tensor, where: string): void {
    if (counts.rank !== 2 || counts.shape[1] !== this.spec.cfg.nGenes)
      throw new Error(
        `VAE results ${where}: counts must be cells × ${this.spec.cfg.nGenes} genes, got shape [${counts.shape}]`,
      );
  }

  /** q(z | x) of each cell of `counts` (`[C, G]`): location and scale, `[C, K]` each. */
  encode(counts: Tensor): { loc: Tensor; scale: Tensor } {
    this.checkCounts(counts, "encode");
    const enc = this.spec.nets.encoder;
    const p = moduleParams(this.params, "encoder");
    return encode(this.spec, (x) => enc.apply(p, x), counts.astype("float32"));
  }

  /**
   * The latent embedding: per-cell means of q(z | x), [C, K].
   * @example
   * const emb = await results.getLatentEmbedding(counts).data(); // C × K, row-major
   */
  getLatentEmbedding(counts: Tensor): Tensor {
    return this.encode(counts).loc;
  }

  /** `n` draws of each cell's latent code from q(z | x): [n, C, K]. */
  getLatentSamples(counts: Tensor, k: Key, n = 1): Tensor {
    const { loc, scale } = this.encode(counts);
    return random
      .normal(k, [n, ...loc.shape])
      .mul(scale)
      .add(loc);
  }

  /** The global latents at their point values (p or phi). */
  globalValues(): Record<string, Tensor> {
    const { cfg, globals, cellSite } = this.spec;
    const specs = [...globals, ...(cellSite ? [cellSite] : [])];
    const out: Record<string, Tensor> = {};
    for (const s of globals) out[s.name] = pointValue(meanFieldFactor(cfg, s, specs, this.getter));
    return out;
  }

  /** Per-cell capture at its point value (vcp models); `counts` must be the training cells unless capture is amortized. */
  private capture(counts: Tensor): CaptureValue | null {
    const { cfg, cellSite, globals } = this.spec;
    if (!cellSite) return null;
    const perCell = captureFittedPerCell(this.spec);
    if (perCell) checkCountsShape(cfg, counts);
    const f = perCell
      ? meanFieldFactor(cfg, cellSite, [...globals, cellSite], this.getter)
      : amortizedCaptureFactor(cfg, cellSite, counts.sum(-1), this.getter);
    return captureFromSite(this.spec, pointValue(f));
  }

  /** A logistic-normal family's decoding of latent codes z [C, K] (x = decoder(z), no noise). */
  private decodeLogNormal(family: LogNormalVaeFamily, z: Tensor, counts: Tensor): DecodedLogNormalCells {
    const x = this.spec.nets.decoder.apply(moduleParams(this.params, "decoder"), z);
    const logR = family.model === "nbln" ? this.fitted(LOG_R) : null;
    return decodeLogNormalCells(family, x, this.fitted(LOG_D).exp(), logR, counts);
  }

  /**
   * The decoder's output for each cell of `counts` at the latent mean (z = E[q(z | x)]);
   * a logistic-normal family's at x = decoder(z) without the noise √d ε.
   */
  decode(counts: Tensor): DecodedCells | DecodedLogNormalCells {
    const z = this.getLatentEmbedding(counts);
    const family = this.spec.logNormal;
    if (family) return this.decodeLogNormal(family, z, counts.astype("float32"));
    const dec = this.spec.nets.decoder;
    const h = dec.apply(moduleParams(this.params, "decoder"), z);
    const logTheta = this.params[LOG_THETA] ?? null;
    const c = counts.astype("float32");
    return decodeCells(this.spec, h, this.globalValues(), this.capture(c), c, logTheta);
  }

  /**
   * The latent Gaussian of a logistic-normal family with the linear decoder (the default):
   * x = μ + W z + √d ε, so Σ = W Wᵀ + diag(d). μ [dim], W [dim, K], d [dim], and NBLN's r [G].
   * @example
   * // fragment: `results` of fit(counts, { model: "pln", inferenceMethod: "vae", latentDim: 2 })
   * const { mu, W, d } = results.getLatentGaussian();
   */
  getLatentGaussian(): { mu: Tensor; W: Tensor; d: Tensor; r?: Tensor } {
    const family = this.spec.logNormal;
    if (!family)
      throw new Error(
        `VAE results getLatentGaussian: model ${this.modelType} has no latent Gaussian (pln, nbln, lnm)`,
      );
    if (this.spec.opts.decoder.length > 0)
      throw new Error(
        `VAE results getLatentGaussian: the decoder has hidden layers [${this.spec.opts.decoder}]; μ + W z needs the linear decoder (decoder: [])`,
      );
    const p = moduleParams(this.params, "decoder");
    return {
      mu: p["0.bias"]!,
      W: p["0.weight"]!.transpose(),
      d: this.fitted(LOG_D).exp(),
      ...(family.model === "nbln" ? { r: this.fitted(LOG_R).exp() } : {}),
    };
  }

  /** Per-cell decoded parameters (r, p, mu, phi, gate; scVI: logMean, theta; pln/nbln/lnm: x, d, r, rho), broadcastable to [C, G]. */
  getDecodedParams(counts: Tensor): Record<string, Tensor> {
    return this.decode(counts).params;
  }

  /** The reconstruction: expected observed counts [C, G] (capture and zero inflation included). */
  getReconstruction(counts: Tensor): Tensor {
    return this.decode(counts).mean;
  }

  /** Per-gene means of the reconstruction over the cells of `counts`, [G]. */
  getReconstructedGeneMeans(counts: Tensor): Tensor {
    return this.getReconstruction(counts).mean([0]);
  }

  /** Denoised expression [C, G]: the decoder's expected count without capture and zero inflation. */
  denoiseCounts(counts: Tensor): Tensor {
    return this.decode(counts).denoised;
  }

  /**
   * Per-cell log-likelihood of `counts` at the latent mean and the point values of the global
   * and capture factors (the plug-in reconstruction likelihood, [C]).
   */
  logLikelihoodByCell(counts: Tensor): Tensor {
    const c = counts.astype("float32");
    const d = this.decode(c);
    return "cells" in d ? d.cells.logProb(c) : d.dist.logProb(c).sum(-1);
  }

  /**
   * Posterior predictive counts of a logistic-normal family (pln, nbln, lnm), [n, C, G]: draw i
   * takes each cell's z ~ q(z | u_c), x = decoder(z) + √d ⊙ ε and counts from the family's
   * observation at x (`countsDistributionAt`: Poisson, NB(r, mean eˣ), or for LNM a
   * multinomial over the cell's own total, the totals being modelled apart). All draws at once:
   * z, ε and the counts from keys 0, 1 and 2 of `splitKey(k, 3)`.
   * @example
   * // fragment: `results` of fit(counts, { model: "pln", inferenceMethod: "vae" })
   * const draws = results.getPosteriorPredictiveCounts(counts, key(0), 100); // [100, C, G]
   */
  getPosteriorPredictiveCounts(counts: Tensor, k: Key, n = 1): Tensor {
    const family = this.spec.logNormal;
    if (!family)
      throw new Error(
        `VAE results getPosteriorPredictiveCounts: for the logistic-normal models (pln, nbln, lnm), not ${this.modelType}`,
      );
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`VAE results getPosteriorPredictiveCounts: n must be a positive integer, got ${n}`);
    this.checkCounts(counts, "getPosteriorPredictiveCounts");
    const c = counts.astype("float32");
    const { loc, scale } = this.encode(c);
    // all n draws at once: the cells repeated n times, [n·C, ·]
    const [kz, kx, ku] = splitKey(k, 3) as [Key, Key, Key];
    const C = c.shape[0]!;
    const z = random
      .normal(kz, [n, ...loc.shape])
      .mul(scale)
      .add(loc)
      .reshape([n * C, -1]);
    const mean = this.spec.nets.decoder.apply(moduleParams(this.params, "decoder"), z);
    const sd = this.fitted(LOG_D).mul(0.5).exp();
    const x = mean.add(random.normal(kx, [...mean.shape]).mul(sd));
    const logR = family.model === "nbln" ? this.fitted(LOG_R) : null;
    const totals = zeros([n, 1])
      .add(c.sum(-1).reshape([1, C]))
      .reshape([n * C]);
    return countsDistributionAt(family, x, logR, totals).sample(ku).reshape([n, C, family.nGenes]);
  }

  /**
   * Per-cell ELBO of `counts` [C, G] under the fitted encoder and decoder, with the global
   * factors at their point values: E_q[log p(x | z, ν)] − KL(q(z | x) ‖ N(0, I)) (closed-form
   * KL, `nDraws` reparameterised draws for the expectation), [C]. A lower bound on each cell's
   * log-likelihood given the globals, so it can be compared between models on held-out cells.
   * Needs the standard latent prior (a flow prior's KL has no closed form).
   *
   * Capture ν (vcp models): amortized, or fitted per cell and `counts` are the training cells,
   * it is at its point value. With `heldOut` (cells the fit has not seen), a capture fitted per
   * cell is integrated over its prior instead: q(ν) = p(ν), so its KL is 0 and the bound stays
   * valid; each draw of z comes with one draw of every cell's ν. Keys: `splitKey(k, nDraws)`
   * gives draw i its z key; with a prior-drawn ν, `splitKey(k, 2·nDraws)` gives draw i the z
   * key i and the ν key nDraws + i. The same `k` gives the same draws.
   */
  elboByCell(counts: Tensor, k: Key, nDraws = 16, options: { heldOut?: boolean } = {}): Tensor {
    if (this.spec.latentPrior)
      throw new Error("VAE results elboByCell: only for the standard N(0, I) latent prior");
    if (!Number.isInteger(nDraws) || nDraws < 1)
      throw new Error(`VAE results elboByCell: nDraws must be a positive integer, got ${nDraws}`);
    this.checkCounts(counts, "elboByCell");
    const c = counts.astype("float32");
    const { loc, scale } = this.encode(c);
    // KL(N(m, s²) ‖ N(0, 1)) = ½ (m² + s² − 1) − log s, summed over the latent axis
    const kl = loc.square().add(scale.square()).sub(1).mul(0.5).sub(scale.log()).sum(-1);
    if (this.spec.logNormal)
      return this.logNormalExpectedLogLik(this.spec.logNormal, c, loc, scale, k, nDraws).sub(kl);
    const dec = this.spec.nets.decoder;
    const dp = moduleParams(this.params, "decoder");
    const logTheta = this.params[LOG_THETA] ?? null;
    const globals = this.globalValues();
    const capturePriorOfCells =
      options.heldOut && captureFittedPerCell(this.spec)
        ? capturePrior(this.spec, c, c.shape[0]!, globals)
        : null;
    const pointCapture = capturePriorOfCells ? null : this.capture(c);
    const keys = splitKey(k, capturePriorOfCells ? 2 * nDraws : nDraws);
    let acc: Tensor | null = null;
    for (let i = 0; i < nDraws; i++) {
      const z = random
        .normal(keys[i]!, [...loc.shape])
        .mul(scale)
        .add(loc);
      const capture = capturePriorOfCells
        ? captureFromSite(this.spec, capturePriorOfCells.sample(keys[nDraws + i]!))
        : pointCapture;
      const d = decodeCells(this.spec, dec.apply(dp, z), globals, capture, c, logTheta);
      const ll = d.dist.logProb(c).sum(-1);
      acc = acc ? acc.add(ll) : ll;
    }
    return acc!.div(nDraws).sub(kl);
  }

  /**
   * E_q[log p(u | x)] of a logistic-normal family, [C]: draw i takes z from key i and the
   * decoder noise ε from key nDraws + i of `splitKey(k, 2·nDraws)`, x = decoder(z) + √d ⊙ ε.
   */
  private logNormalExpectedLogLik(
    family: LogNormalVaeFamily,
    counts: Tensor,
    loc: Tensor,
    scale: Tensor,
    k: Key,
    nDraws: number,
  ): Tensor {
    const keys = splitKey(k, 2 * nDraws);
    const sd = this.fitted(LOG_D).mul(0.5).exp();
    const globals = family.model === "nbln" ? { logR: this.fitted(LOG_R) } : {};
    const dec = this.spec.nets.decoder;
    const dp = moduleParams(this.params, "decoder");
    let acc: Tensor | null = null;
    for (let i = 0; i < nDraws; i++) {
      const z = random
        .normal(keys[i]!, [...loc.shape])
        .mul(scale)
        .add(loc);
      const mean = dec.apply(dp, z);
      const x = mean.add(random.normal(keys[nDraws + i]!, [...mean.shape]).mul(sd));
      const ll = new LogNormalCountsLikelihood(family, x, globals).logProb(counts);
      acc = acc ? acc.add(ll) : ll;
    }
    return acc!.div(nDraws);
  }

  /**
   * The results as JSON (every tensor read with one `await`), for `params.json`; load with
   * {@link ScribeVAEResults.fromJSON}.
   */
  async toJSONAsync(): Promise<VaeResultsJson> {
    const st = this.spec.stats;
    return {
      format: "scribe-vae-results",
      version: 1,
      modelType: this.modelType,
      inferenceMethod: "vae",
      modelOptions: { ...this.#modelOptions },
      shape: [this.spec.cfg.nCells, this.spec.cfg.nGenes],
      vaeOptions: { ...this.spec.opts },
      geneStats: { mean: Array.from(st.mean), logMean: Array.from(st.logMean), logSd: Array.from(st.logSd) },
      params: await encodeRecordAsync(this.params),
      lossHistory: Array.from(this.lossHistory),
      ...(this.obsNames ? { obsNames: this.obsNames } : {}),
      ...(this.varNames ? { varNames: this.varNames } : {}),
      meta: { ...this.meta },
      ...(this.spec.logNormal
        ? {
            logNormal: {
              alrReference: this.spec.logNormal.alrReference,
              rPriorLoc: this.spec.logNormal.rPriorLoc,
              libraryMean: this.spec.logNormal.libraryMean,
            },
          }
        : {}),
    };
  }

  /**
   * Rebuild results written by {@link ScribeVAEResults.toJSONAsync} (standard latent prior).
   * @example
   * const again = ScribeVAEResults.fromJSON(JSON.parse(readFileSync("out/params.json", "utf8")));
   */
  static fromJSON(json: VaeResultsJson): ScribeVAEResults {
    if (json.format !== "scribe-vae-results")
      throw new Error(`VAE results: not a scribe-vae-results file (format ${JSON.stringify(json.format)})`);
    const [C, G] = json.shape;
    const stats: GeneStats = {
      mean: Float32Array.from(json.geneStats.mean),
      logMean: Float32Array.from(json.geneStats.logMean),
      logSd: Float32Array.from(json.geneStats.logSd),
    };
    const spec = isLogNormalVaeModel(json.modelType)
      ? makeLogNormalVaeSpec(
          logNormalVaeFamily(
            json.modelType,
            G,
            json.logNormal?.alrReference,
            json.logNormal?.rPriorLoc,
            json.logNormal?.libraryMean ?? null,
          ),
          C,
          json.vaeOptions,
          stats,
          null,
          null,
        )
      : ScribeVAEResults.nbSpecOf(json, stats);
    const params: Record<string, Tensor> = {};
    for (const [k, e] of Object.entries(json.params)) params[k] = decodeTensor(e);
    return new ScribeVAEResults({
      spec,
      params,
      lossHistory: Float64Array.from(json.lossHistory),
      obsNames: json.obsNames,
      varNames: json.varNames,
      meta: json.meta,
      modelOptions: json.modelOptions,
    });
  }

  /** The spec of an NB model's results JSON. */
  private static nbSpecOf(json: VaeResultsJson, stats: GeneStats): VaeSpec {
    const [C, G] = json.shape;
    const cfg = makeConfig(json.modelType as ModelType, {
      ...(json.modelOptions as Partial<ModelOptions>),
      nCells: C,
      nGenes: G,
    });
    return makeVaeSpec(cfg, json.vaeOptions, stats, null);
  }
}
