/**
 * The results of VAE inference (SCRIBE's `ScribeVAEResults`, spec §4.2 "VAE"): the fitted
 * networks and global factors, with the latent embedding (`getLatentEmbedding`: per-cell
 * means of q(z | x)), the decoded per-cell parameters, the reconstruction (expected observed
 * counts and their per-gene means) and denoising through the decoder. Every method returns
 * tensors; nothing reads back.
 * @module
 */
import { type Key, random, type Tensor } from "@scribe/core";
import { Beta, type Distribution } from "@scribe/distributions";
import { amortizedCaptureFactor } from "../guides/amortized-capture.js";
import { meanFieldFactor, type ParamGetter } from "../guides/factors.js";
import { checkCountsShape } from "../models/model.js";
import type { CaptureValue } from "../models/observation.js";
import { ScribeBetaPrime } from "../models/scribe-beta-prime.js";
import { TransformedNormal } from "../models/transformed-normal.js";
import { type DecodedCells, decodeCells } from "./decode.js";
import { moduleParams } from "./networks.js";
import { encode, LOG_THETA } from "./vae-model.js";
import type { VaeSpec } from "./vae-spec.js";

/** What {@link ScribeVAEResults} is built from. */
export interface VaeResultsInit {
  readonly spec: VaeSpec;
  /** Fitted constrained params (networks, global and capture factors, scVI log-dispersion), on the CPU. */
  readonly params: Readonly<Record<string, Tensor>>;
  readonly lossHistory: Float64Array;
  readonly obsNames?: string[] | undefined;
  readonly varNames?: string[] | undefined;
  readonly meta?: Record<string, unknown>;
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

  constructor(init: VaeResultsInit) {
    this.spec = init.spec;
    this.params = init.params;
    this.lossHistory = init.lossHistory;
    this.obsNames = init.obsNames;
    this.varNames = init.varNames;
    this.meta = init.meta ?? {};
  }

  /** Model name, e.g. "nbvcp". */
  get modelType(): string {
    return this.spec.cfg.modelType;
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

  /** q(z | x) of each cell of `counts` [C, G]: location and scale [C, K]. */
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
    const amortized = cfg.amortizeCapture && cellSite.family.kind !== "eta";
    if (!amortized) checkCountsShape(cfg, counts);
    const f = amortized
      ? amortizedCaptureFactor(cfg, cellSite, counts.sum(-1), this.getter)
      : meanFieldFactor(cfg, cellSite, [...globals, cellSite], this.getter);
    const v = pointValue(f);
    if (cellSite.family.kind === "eta")
      return cfg.parameterization === "mean_odds"
        ? { kind: "phi_capture", value: v.expm1() }
        : { kind: "p_capture", value: v.neg().exp() };
    return { kind: cellSite.name as CaptureValue["kind"], value: v };
  }

  /** The decoder's output for each cell of `counts` at the latent mean (z = E[q(z | x)]). */
  decode(counts: Tensor): DecodedCells {
    const z = this.getLatentEmbedding(counts);
    const dec = this.spec.nets.decoder;
    const h = dec.apply(moduleParams(this.params, "decoder"), z);
    const logTheta = this.params[LOG_THETA] ?? null;
    const c = counts.astype("float32");
    return decodeCells(this.spec, h, this.globalValues(), this.capture(c), c, logTheta);
  }

  /** Per-cell decoded parameters (r, p, mu, phi, gate; scVI: logMean, theta), broadcastable to [C, G]. */
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
}
