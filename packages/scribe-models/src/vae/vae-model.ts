/**
 * The VAE as a model and a guide over the same sites, trained by the ordinary SVI loop
 * (SCRIBE VAE). Model: global p or phi (SCRIBE form), then in the `cells` plate z_c ~
 * prior (N(0, I) by default, or the `latentPrior` hook), per-cell capture (vcp models), and
 * `counts` from the decoder (`decode.ts`). Guide: mean-field factors for the globals and the
 * capture, and q(z_c | x_c) = N(loc, exp(½ log-var)) from the encoder. The latent sites `z`
 * in both are scaled by the KL weight β (`kl-annealing.ts`): under `TraceMeanFieldELBO` the
 * closed-form KL of z is multiplied by the guide site's scale, so the loss is
 * −E[log p(x | z)] + β·KL(q(z | x) ‖ p(z)) + KL of the other sites.
 * @module
 */
import {
  clamp,
  deterministic,
  exp,
  full,
  module,
  param,
  plate,
  sample,
  scale,
  type Tensor,
  zeros,
} from "@scribe/core";
import { type Distribution, LowRankMultivariateNormal, Normal, positive } from "@scribe/distributions";
import { amortizedCaptureFactor } from "../guides/amortized-capture.js";
import { meanFieldFactor, type ParamGetter } from "../guides/factors.js";
import { etaInitLoc } from "../guides/guide.js";
import { checkCountsShape, effectiveBatchSize, type ScribeModelFn } from "../models/model.js";
import type { CaptureValue } from "../models/observation.js";
import { priorDistribution } from "../models/sites.js";
import { decodeCells } from "./decode.js";
import { isFlowPrior } from "./latent-flow-prior.js";
import {
  LogNormalCountsLikelihood,
  type LogNormalVaeFamily,
  logNormalGlobalsInModel,
  noisyLatent,
} from "./log-normal-family.js";
import { captureFittedPerCell, captureFromSite, capturePrior } from "./vae-capture.js";
import { encoderInput, type VaeSpec } from "./vae-spec.js";

/** The scVI form's per-gene log-dispersion param. */
export const LOG_THETA = "vae_log_theta";
/** Bounds of the encoder's log-variance head (exp(½·[−14, 4]) = scales in [9e−4, 7.4]). */
const LOG_VAR_BOUNDS: [number, number] = [-14, 4];

/** β for the step being traced, or null for β = 1 (results, predictive runs). */
export type BetaSource = (() => Tensor) | null;

function annealed<T>(beta: BetaSource, f: () => T): T {
  return beta ? scale(f, beta())() : f();
}

/**
 * The minibatch rows of the counts, by subsample indices: the guide gathers them and the model,
 * replaying the guide's plate, gets the same index tensor, so it reuses them instead of
 * copying 512 × G counts a second time per step. Keyed weakly by the index tensor; an entry
 * whose rows were freed (its scope ended) or that came from other counts is gathered afresh.
 */
const minibatchRows = new WeakMap<Tensor, { counts: Tensor; rows: Tensor }>();

function countsRows(counts: Tensor, idx: Tensor): Tensor {
  const hit = minibatchRows.get(idx);
  if (hit && hit.counts === counts && !hit.rows.isDisposed) return hit.rows;
  const rows = counts.index(idx);
  minibatchRows.set(idx, { counts, rows });
  return rows;
}

/** N(0, I) over [B, K] with the latent axis as the event. */
export function standardLatentPrior(batch: number, latentDim: number): Distribution {
  return new Normal(zeros([batch, latentDim]), full([batch, latentDim], 1), false).toEvent(1);
}

/** The encoder's q(z | x) for counts [B, G]: location and scale [B, K]. */
export function encode(
  spec: VaeSpec,
  apply: (x: Tensor) => Tensor,
  counts: Tensor,
): { loc: Tensor; scale: Tensor } {
  return encodeInput(spec, apply, encoderInput(spec, counts));
}

/** q(z | x) from the encoder's input already transformed (`encoderInput`) [B, G]. */
export function encodeInput(
  spec: VaeSpec,
  apply: (x: Tensor) => Tensor,
  input: Tensor,
): { loc: Tensor; scale: Tensor } {
  const B = input.shape[0]!;
  const K = spec.opts.latentDim;
  const out = apply(input);
  const loc = out.slice([0, 0], [B, K]);
  const logVar = clamp(out.slice([0, K], [B, 2 * K]), LOG_VAR_BOUNDS[0], LOG_VAR_BOUNDS[1]);
  return { loc, scale: exp(logVar.mul(0.5)) };
}

/** Sample the capture site of a minibatch in the model (as `buildModel` does). */
function sampleCapture(
  spec: VaeSpec,
  obs: Tensor | null,
  B: number,
  values: Record<string, Tensor>,
): CaptureValue | null {
  const s = spec.cellSite;
  if (!s) return null;
  const c = captureFromSite(spec, sample(s.name, capturePrior(spec, obs, B, values)));
  // a capture derived from the eta site is recorded under its own name
  return s.family.kind === "eta" ? { kind: c.kind, value: deterministic(c.kind, c.value) } : c;
}

/**
 * The model of a logistic-normal family (`log-normal-family.ts`): the family's globals, then
 * per cell z_c ~ prior, x_c = decoder(z_c) + √d ⊙ ε_c and the counts from the family's observation.
 */
function buildLogNormalVaeModel(spec: VaeSpec, family: LogNormalVaeFamily, beta: BetaSource): ScribeModelFn {
  const { cfg } = spec;
  const K = spec.opts.latentDim;
  const prior = spec.latentPrior ?? standardLatentPrior;
  return (counts?: Tensor | null, batchSize?: number | null) => {
    checkCountsShape(cfg, counts);
    const { logD, logR } = logNormalGlobalsInModel(family);
    const decoder = module("decoder", spec.nets.decoder);
    const sub = effectiveBatchSize(cfg.nCells, batchSize);
    plate("cells", cfg.nCells, sub === undefined ? {} : { subsampleSize: sub }, (idx) => {
      const obs = counts ? countsRows(counts, idx) : null;
      const z = annealed(beta, () => sample("z", prior(idx.shape[0]!, K)));
      const x = noisyLatent(decoder(z), logD);
      sample("counts", new LogNormalCountsLikelihood(family, x, logR ? { logR } : {}), { obs });
    });
  };
}

/** The VAE's model function (same signature as SCRIBE's models: counts, minibatch size). */
export function buildVaeModel(spec: VaeSpec, beta: BetaSource): ScribeModelFn {
  if (spec.logNormal) return buildLogNormalVaeModel(spec, spec.logNormal, beta);
  const { cfg } = spec;
  const K = spec.opts.latentDim;
  const prior = spec.latentPrior ?? standardLatentPrior;
  return (counts?: Tensor | null, batchSize?: number | null) => {
    checkCountsShape(cfg, counts);
    const values: Record<string, Tensor> = {};
    for (const s of spec.globals) values[s.name] = sample(s.name, priorDistribution(s, values));
    const logTheta = spec.opts.decoderForm === "scvi" ? param(LOG_THETA, zeros([cfg.nGenes])) : null;
    const decoder = module("decoder", spec.nets.decoder);
    const sub = effectiveBatchSize(cfg.nCells, batchSize);
    plate("cells", cfg.nCells, sub === undefined ? {} : { subsampleSize: sub }, (idx) => {
      const obs = counts ? countsRows(counts, idx) : null;
      const B = idx.shape[0]!;
      const z = annealed(beta, () => sample("z", prior(B, K)));
      const capture = sampleCapture(spec, obs, B, values);
      const dec = decodeCells(spec, decoder(z), values, capture, obs, logTheta);
      sample("counts", dec.dist.toEvent(1), { obs });
    });
  };
}

/**
 * The encoder's input for every cell of a fit, computed once (`encoderInput` of the whole
 * counts matrix): the transform is fixed per gene, so a minibatch's rows of it equal the
 * transform of the minibatch's counts exactly, and each step gathers rows instead of
 * recomputing log1p (and the standardisation). `counts` is the tensor the guide will be
 * called with; other counts fall back to the per-minibatch transform.
 */
export interface PrecomputedEncoderInput {
  readonly counts: Tensor;
  readonly input: Tensor;
}

/** The VAE's guide function: the encoder for z, mean-field factors for the globals and the capture. */
export function buildVaeGuide(
  spec: VaeSpec,
  beta: BetaSource,
  precomputed: PrecomputedEncoderInput | null = null,
): ScribeModelFn {
  const { cfg } = spec;
  const specs = [...spec.globals, ...(spec.cellSite ? [spec.cellSite] : [])];
  const get: ParamGetter = (name, init, opts) =>
    param(name, init, { constraint: opts.positive ? positive : null, ...(opts.cell ? { eventDim: 0 } : {}) });
  return (counts?: Tensor | null, batchSize?: number | null) => {
    checkCountsShape(cfg, counts);
    if (!counts)
      throw new Error("vae guide: the encoder needs the counts (the guide is amortized over cells)");
    for (const s of spec.globals) sample(s.name, meanFieldFactor(cfg, s, specs, get));
    const encoder = module("encoder", spec.nets.encoder);
    const cellSite = spec.cellSite;
    const fittedPerCell = captureFittedPerCell(spec);
    const etaInit = cellSite?.family.kind === "eta" ? etaInitLoc(cfg, counts) : null;
    const sub = effectiveBatchSize(cfg.nCells, batchSize);
    plate("cells", cfg.nCells, sub === undefined ? {} : { subsampleSize: sub }, (idx) => {
      const obs = countsRows(counts, idx);
      const q =
        precomputed && precomputed.counts === counts && !precomputed.input.isDisposed
          ? encodeInput(spec, encoder, precomputed.input.index(idx))
          : encode(spec, encoder, obs);
      // under a flow prior q is written as a diagonal low-rank MVN (same law): the KL has no closed form
      const qz = isFlowPrior(spec.latentPrior)
        ? new LowRankMultivariateNormal(q.loc, zeros([...q.loc.shape, 1]), q.scale.square(), false)
        : new Normal(q.loc, q.scale, false).toEvent(1);
      annealed(beta, () => sample("z", qz));
      if (!cellSite) return;
      const f = fittedPerCell
        ? meanFieldFactor(cfg, cellSite, specs, get, etaInit ? { initLoc: etaInit } : {})
        : amortizedCaptureFactor(cfg, cellSite, obs.sum(-1), get);
      sample(cellSite.name, f);
    });
  };
}
