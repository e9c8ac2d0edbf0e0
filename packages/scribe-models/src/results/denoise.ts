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
 * {@link denoiseCountsSamples} repeats this per posterior draw and stacks the results
 * [S, C, G] (with their mean over draws).
 * @module
 */
import {
  add,
  argmax,
  clamp,
  div,
  floor,
  full,
  gt,
  type Key,
  log,
  key as makeKey,
  maximum,
  mul,
  pow,
  random,
  splitKey,
  square,
  stack,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import type { ModelConfig } from "../models/config.js";
import { P_FLOOR } from "../models/observation.js";
import { type ParamAxes, paramAxes } from "../models/parameterization.js";
import { twoStateDenoiseCells } from "../models/two-state.js";
import { drawAt } from "./log-likelihood.js";
import { cellTypeLogProbabilitiesDraw } from "./mixture.js";

/** A denoising summary of the posterior of the true counts. */
export type DenoiseMethod = "mean" | "mode" | "sample";

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

/** Denoised counts and the posterior variance of the true counts, both [C, G]. */
export interface DenoiseResult {
  denoised: Tensor;
  variance: Tensor;
}

/** Per-cell parameters broadcastable to [C, G]. */
interface CellParams {
  r: Tensor;
  p: Tensor;
  q: Tensor | null;
  gate: Tensor | null;
}

/** A parameter on the [C|1, G|1] grid: hard component per cell (`z`), one component (`k`), or none. */
function onGrid(x: Tensor, a: ParamAxes, pick: Tensor | number | null): Tensor {
  let y: Tensor;
  if (a.hasK && typeof pick === "number") {
    const s = [...x.shape];
    y = x.slice([pick, ...s.slice(1).map(() => 0)], [pick + 1, ...s.slice(1)]);
  } else if (a.hasK && pick !== null) y = x.index(pick as Tensor);
  else y = x.reshape([1, ...x.shape]);
  if (!a.hasG) y = y.reshape([y.shape[0]!, 1]);
  return y;
}

function cellParams(
  cfg: ModelConfig,
  C: number,
  draw: Readonly<Record<string, Tensor>>,
  pick: Tensor | number | null,
): CellParams {
  const axes = paramAxes(cfg);
  const r = onGrid(draw.r!, axes.r, pick);
  const p = clamp(onGrid(draw.p!, axes.p, pick), P_FLOOR, 1 - P_FLOOR);
  const nu = draw.p_capture ? draw.p_capture.reshape([C, 1]) : null;
  const q = nu ? clamp(mul(p, sub(1, nu)), 0, 1 - P_FLOOR) : null;
  const gate = draw.gate ? onGrid(draw.gate, axes.gate, pick) : null;
  return { r, p, q, gate };
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

/** Value of the capture (NB) path with `method`: u + summary of d | u ~ NB(r + u, q). */
function nbPath(u: Tensor, P: CellParams, method: DenoiseMethod, k: Key, C: number, G: number): Tensor {
  const { r, q } = P;
  if (!q) return u;
  if (method === "mean") return div(add(u, mul(r, q)), sub(1, q));
  if (method === "mode") return add(u, floor(div(mul(maximum(sub(add(r, u), 1), 0), q), sub(1, q))));
  const d = new NegativeBinomialProbs(add(r, u).add(1e-8).expand([C, G]), q.expand([C, G]), false).sample(k);
  return add(u, d);
}

/** The per-cell denoising formulas for one parameter draw (see the module notes). */
function denoiseCells(
  u: Tensor,
  P: CellParams,
  methods: [DenoiseMethod, DenoiseMethod],
  k: Key,
): DenoiseResult {
  const [C, G] = u.shape as [number, number];
  const [general, zero] = methods;
  const [kNb, kZeroNb, kGate, kPath] = splitKey(k, 4) as [Key, Key, Key, Key];
  const { r, p, q, gate } = P;
  const value = nbPath(u, P, general, kNb, C, G);
  const varNb = q ? div(mul(add(r, u), q), square(sub(1, q))).expand([C, G]) : full([C, G], 0, u.dtype);
  if (!gate) return { denoised: value.expand([C, G]), variance: varNb };
  const ratio = q ? div(sub(1, p), sub(1, q)) : sub(1, p);
  const w = div(gate, add(gate, mul(sub(1, gate), pow(ratio, r))));
  const nbZero = zero === general ? value : nbPath(u, P, zero, kZeroNb, C, G);
  const gateMean = div(mul(r, p), sub(1, p));
  let gateValue: Tensor;
  if (zero === "mean") gateValue = gateMean;
  else if (zero === "mode") gateValue = floor(div(mul(maximum(sub(r, 1), 0), p), sub(1, p)));
  else gateValue = new NegativeBinomialProbs(r.expand([C, G]), p.expand([C, G]), false).sample(kGate);
  let zeroValue: Tensor;
  if (zero === "mean") zeroValue = add(mul(w, gateValue), mul(sub(1, w), nbZero));
  else if (zero === "mode") zeroValue = where(gt(w, 0.5), gateValue, nbZero);
  else zeroValue = where(random.bernoulli(kPath, w.expand([C, G])).eq(1), gateValue, nbZero);
  const isZero = u.eq(0);
  const varGate = div(mul(r, p), square(sub(1, p)));
  const nbZeroMean = q ? div(mul(r, q), sub(1, q)) : full([1, 1], 0, u.dtype);
  const varZero = add(
    add(mul(w, varGate), mul(sub(1, w), varNb)),
    mul(mul(w, sub(1, w)), square(sub(gateMean, nbZeroMean))),
  );
  return {
    denoised: where(isZero, zeroValue, value).expand([C, G]),
    variance: where(isZero, varZero, varNb).expand([C, G]),
  };
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
  // Two-state models have their own posterior of the uncaptured counts (Poisson–Beta, no gate).
  const cells = (pick: Tensor | number | null, key: Key): DenoiseResult =>
    cfg.twoState
      ? twoStateDenoiseCells(cfg, counts, draw, pick, methods[0], key)
      : denoiseCells(counts, cellParams(cfg, C, draw, pick), methods, key);
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
