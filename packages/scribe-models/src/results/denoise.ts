/**
 * Denoised counts (SCRIBE results `denoise_counts_map`, `denoise_counts_posterior`): the posterior
 * of the true (pre-capture, pre-dropout) counts given the observed ones.
 *
 * Per parameter draw, with q = p(1 − ν_c) (q = 0 without capture) the uncaptured counts are
 * d | u ~ NB(r + u, probs q): mean m̂ = (u + r·q)/(1 − q), mode u + ⌊max(r + u − 1, 0)·q/(1 − q)⌋,
 * variance (r + u)q/(1 − q)²; "sample" draws u + d. Zero-inflated zeros are a structural zero
 * with weight w = g/(g + (1 − g)((1 − p)/(1 − q))^r), in which case the true count follows the
 * prior NB(r, p) (mean r·p/(1 − p), mode ⌊max(r − 1, 0)·p/(1 − p)⌋, variance r·p/(1 − p)²):
 * "mean" mixes both paths with w, "mode" takes the path with w > ½, "sample" picks the path
 * by a Bernoulli(w) draw, and the variance follows the law of total variance. A method pair
 * [general, zeros] uses the second method at zero-inflated zeros.
 *
 * Mixtures: with `assignments` each cell uses its component. Otherwise (`mixture:
 * "marginal"`, the default) "mean" is the marginal Σₖ wₖ·E[m | u, k] with the law of total
 * variance, "sample" draws a component per cell from w then samples, and "mode" takes the
 * component of largest w; `mixture: "hard"` takes the argmax component for every method. The
 * weights w are the draw's responsibilities P(k | u_c, θ) (π included, `componentWeights:
 * "responsibilities"`, default) or the mixing weights π themselves (`"mixing"`, SCRIBE's
 * choice).
 *
 * BNB overdispersion integrates the Beta mixing variable (`denoise-bnb.ts`); dataset models take
 * every cell's parameters at its dataset (`families/nb-datasets.ts`).
 *
 * {@link denoiseCountsSamples} repeats this per posterior draw and stacks the results
 * [S, C, G] (with their mean over draws).
 * @module
 */
import {
  add,
  argmax,
  clamp,
  type Key,
  log,
  key as makeKey,
  maximum,
  mul,
  random,
  splitKey,
  square,
  stack,
  sub,
  type Tensor,
} from "@scribe/core";
import { familyOf } from "../families/registry.js";
import type { ModelConfig } from "../models/config.js";
import { cellMixingWeights, datasetIndexTensor } from "../models/datasets.js";
import type { DenoiseMethod, DenoiseResult } from "./denoise-nb.js";
import { drawAt } from "./log-likelihood.js";
import { cellTypeLogProbabilitiesDraw } from "./mixture.js";

export type { DenoiseMethod, DenoiseResult } from "./denoise-nb.js";

/** Options of {@link denoiseCounts}. */
export interface DenoiseOptions {
  /** "mean" (default), "mode", "sample", or [general, at zero-inflated zeros]. */
  method?: DenoiseMethod | readonly [DenoiseMethod, DenoiseMethod];
  /** Seed for sampling (default 42). */
  seed?: number | Key;
  /** Hard component per cell (mixtures), int32 [C]. */
  assignments?: Tensor;
  /** Mixtures without `assignments`: "marginal" (default) or "hard" (largest weight). */
  mixture?: "marginal" | "hard";
  /** Mixture weights per cell: responsibilities P(k | u, θ) (default) or the mixing weights π. */
  componentWeights?: "responsibilities" | "mixing";
}

function methodPair(m: DenoiseOptions["method"]): [DenoiseMethod, DenoiseMethod] {
  const pair: [DenoiseMethod, DenoiseMethod] = Array.isArray(m)
    ? [m[0], m[1]]
    : [(m as DenoiseMethod | undefined) ?? "mean", (m as DenoiseMethod | undefined) ?? "mean"];
  for (const x of pair)
    if (x !== "mean" && x !== "mode" && x !== "sample")
      throw new Error(`denoise: unknown method ${JSON.stringify(x)}; expected "mean", "mode" or "sample"`);
  return pair;
}

function toKey(seed: number | Key | undefined): Key {
  return typeof seed === "object" ? seed : makeKey(seed ?? 42);
}

/** Log mixture weights [C, K] of a draw: log responsibilities, or log π for every cell. */
function logComponentWeights(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  kind: DenoiseOptions["componentWeights"],
): Tensor {
  const C = counts.shape[0]!;
  kind ??= "responsibilities";
  if (kind === "mixing") {
    const pi = draw.mixing_weights;
    if (!pi) throw new Error('denoise: componentWeights "mixing" needs mixing_weights in the draw');
    // per-dataset mixing weights (D, K) are taken at each cell's dataset
    if (cfg.datasets?.mixing)
      return log(clamp(cellMixingWeights(cfg, pi, datasetIndexTensor(cfg)), 1e-30, 1));
    return log(clamp(pi, 1e-30, 1))
      .reshape([1, cfg.nComponents])
      .expand([C, cfg.nComponents]);
  }
  if (kind !== "responsibilities")
    throw new Error(`denoise: unknown componentWeights ${JSON.stringify(kind)}`);
  return cellTypeLogProbabilitiesDraw(cfg, counts, draw);
}

/**
 * Denoise `counts` [C, G] with one parameter draw (e.g. the MAP) and return the denoised
 * counts and the posterior variance of the true counts, both [C, G].
 * @example
 * const { denoised, variance } = denoiseCountsWithVariance(cfg, counts, results.getMap());
 */
export function denoiseCountsWithVariance(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  opts: DenoiseOptions = {},
): DenoiseResult {
  if (counts.rank !== 2 || counts.shape[1] !== cfg.nGenes)
    throw new Error(`denoise: counts must have shape [cells, ${cfg.nGenes}], got [${counts.shape}]`);
  const methods = methodPair(opts.method);
  const C = counts.shape[0]!;
  if (draw.p_capture && draw.p_capture.size !== C)
    throw new Error(`denoise: p_capture has ${draw.p_capture.size} cells but counts have ${C}`);
  const k = toKey(opts.seed);
  // each family has its own posterior of the uncaptured counts (families/*.ts)
  const family = familyOf(cfg);
  const cells = (pick: Tensor | number | null, key: Key): DenoiseResult =>
    family.denoiseCells(cfg, counts, draw, pick, methods, key);
  if (cfg.nComponents < 2) return cells(null, k);
  if (opts.assignments) {
    if (opts.assignments.size !== C)
      throw new Error(`denoise: assignments must have ${C} entries, got ${opts.assignments.size}`);
    return cells(opts.assignments.reshape([C]), k);
  }
  const mode = opts.mixture ?? "marginal";
  if (mode !== "marginal" && mode !== "hard")
    throw new Error(`denoise: unknown mixture ${JSON.stringify(mode)}; expected "marginal" or "hard"`);
  const logW = logComponentWeights(cfg, counts, draw, opts.componentWeights);
  const [kz, kd] = splitKey(k, 2) as [Key, Key];
  if (mode === "hard" || methods[0] === "mode") return cells(argmax(logW, -1), kd);
  if (methods[0] === "sample") return cells(random.categorical(kz, logW), kd);
  // marginal mean: Σₖ wₖ mₖ, variance Σₖ wₖ (vₖ + mₖ²) − (Σₖ wₖ mₖ)²
  const W = logW.exp();
  const keys = splitKey(kd, cfg.nComponents);
  let m: Tensor | null = null;
  let s2: Tensor | null = null;
  for (let c = 0; c < cfg.nComponents; c++) {
    const res = cells(c, keys[c]!);
    const wc = W.slice([0, c], [C, c + 1]);
    const dm = mul(wc, res.denoised);
    const dv = mul(wc, add(res.variance, square(res.denoised)));
    m = m ? add(m, dm) : dm;
    s2 = s2 ? add(s2, dv) : dv;
  }
  return { denoised: m!, variance: maximum(sub(s2!, square(m!)), 0) };
}

/**
 * Denoise `counts` [C, G] with one parameter draw (e.g. the MAP): returns [C, G].
 * @example
 * const clean = denoiseCounts(cfg, counts, results.getMap(), { method: "mean" });
 */
export function denoiseCounts(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  opts: DenoiseOptions = {},
): Tensor {
  return denoiseCountsWithVariance(cfg, counts, draw, opts).denoised;
}

/** Options of {@link denoiseCountsSamples}. */
export interface DenoisePosteriorOptions extends Omit<DenoiseOptions, "assignments"> {
  /** Hard component per cell, the same for every draw, int32 [C] (mixtures; default: per draw, see `mixture`). */
  assignments?: Tensor;
  /** Also return the per-draw posterior variances [S, C, G]. */
  returnVariance?: boolean;
}

/** Result of {@link denoiseCountsSamples}. */
export interface DenoisePosteriorResult {
  /** Denoised counts per posterior draw [S, C, G]. */
  denoised: Tensor;
  /** Their mean over draws [C, G] (with method "mean": the posterior mean of the true counts). */
  mean: Tensor;
  /** Posterior variance of the true counts given each draw [S, C, G] (with `returnVariance`). */
  variance?: Tensor;
}

/**
 * Denoise `counts` [C, G] once per posterior draw of `samples` (a record of tensors with a
 * leading sample axis S, as from `getPosteriorSamples`): the per-draw results stacked
 * [S, C, G] and their mean over draws. Draw s uses the s-th key split from `seed`.
 * @example
 * const { denoised, mean } = denoiseCountsSamples(cfg, counts, results.getPosteriorSamples({ nSamples: 50 }));
 */
export function denoiseCountsSamples(
  cfg: ModelConfig,
  counts: Tensor,
  samples: Readonly<Record<string, Tensor>>,
  opts: DenoisePosteriorOptions = {},
): DenoisePosteriorResult {
  const S = (samples.r ?? samples.mu)?.shape[0];
  if (!S) throw new Error("denoise: samples need r (or mu, two-state models) with a leading sample axis");
  const keys = splitKey(toKey(opts.seed), S);
  const out: Tensor[] = [];
  const vars: Tensor[] = [];
  for (let s = 0; s < S; s++) {
    const res = denoiseCountsWithVariance(cfg, counts, drawAt(samples, s), { ...opts, seed: keys[s]! });
    out.push(res.denoised);
    if (opts.returnVariance) vars.push(res.variance);
  }
  const denoised = stack(out, 0);
  return { denoised, mean: denoised.mean(0), ...(opts.returnVariance ? { variance: stack(vars, 0) } : {}) };
}
