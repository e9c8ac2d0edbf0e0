/**
 * Goodness of fit by randomized quantile residuals (Dunn and Smyth, J. Comput. Graph. Stat.
 * 5, 1996): for a count u with predictive CDF F, v ~ U(F(u − 1), F(u)) is uniform when the
 * model is right, and Φ⁻¹(v) standard normal. F is the NB of the fit at the MAP (or
 * averaged over posterior draws), with the cell's capture probability and the gene's
 * zero-inflation gate where the model has them (SCRIBE `scribe.mc` uses the bare NB; the observation
 * model is what the counts were drawn from), mixtures by their π-weighted CDF; for TwoState
 * models F is the Poisson–Beta CDF (comparison/two-state-cdf.ts). Per gene: mean,
 * variance, tail excess P(|q| > 2) − 0.0455, KS distance to N(0, 1) and its p-value.
 * @module
 */
import {
  add,
  betainc,
  clamp,
  dispose,
  gt,
  type Key,
  key as makeKey,
  maximum,
  mul,
  ndtri,
  random,
  scope,
  splitKey,
  sub,
  sum,
  type Tensor,
  tensor,
  where,
} from "@scribe/core";
import { familyOf } from "../families/registry.js";
import { capturedProbability } from "../likelihood/nb-family.js";
import { TWO_STATE_DEFAULT_NODES } from "../models/config.js";
import { drawAt, familyParams } from "../results/log-likelihood.js";
import type { ScribeResults } from "../results/results.js";
import { ksDistanceNormal, ksPValue } from "./kolmogorov.js";
import { checkCountsShape } from "./pointwise-log-likelihood.js";
import { twoStateCdfPair, twoStateHostParams } from "./two-state-cdf.js";

/** Options of {@link quantileResiduals}. */
export interface QuantileResidualOptions {
  /** CDF at the MAP (default) or averaged over `nSamples` posterior draws. */
  source?: "map" | "posterior";
  /** Posterior draws for `source: "posterior"` (default 100). */
  nSamples?: number;
  /** Seed of the uniform randomization (and of the posterior draws); default 0. */
  seed?: number;
  /** Keep the C × G residual matrix in the result (default false). */
  keepResiduals?: boolean;
  /** Cells × genes per chunk (default 2,097,152). */
  chunkElements?: number;
}

/** Per-gene summaries of the quantile residuals. */
export interface QuantileResidualStats {
  /** Per gene: mean (≈ 0 under a right model). */
  readonly mean: Float64Array;
  /** Per gene: variance, divisor C − 1 (≈ 1). */
  readonly variance: Float64Array;
  /** Per gene: fraction with |q| > 2 minus its normal value 0.0455. */
  readonly tailExcess: Float64Array;
  /** Per gene: KS distance to N(0, 1). */
  readonly ks: Float64Array;
  /** Per gene: KS p-value (asymptotic, Stephens' correction). */
  readonly ksPValue: Float64Array;
  /** The residuals [C, G] row-major, when `keepResiduals`. */
  readonly residuals?: Float32Array;
}

/** P(|Z| > 2) for Z ~ N(0, 1). */
const NORMAL_TAIL_2 = 0.0455;
/** Clip of v away from 0 and 1 (SCRIBE `scribe.mc`). */
const V_CLIP = 1e-6;

/**
 * The NB-family CDF pair (F(u − 1), F(u)) [C, G] of one parameter draw: F(u) = I_{1−p̂}(r, u + 1)
 * for NB(r, p̂) in NumPyro's probs convention (mean r p̂/(1 − p̂)), p̂ the captured p;
 * F_ZI = g + (1 − g) F for u ≥ 0 and F(−1) = 0; mixtures Σ_k π_k F_k.
 */
function cdfPair(
  u: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  res: ScribeResults,
  c0: number,
  c1: number,
): [Tensor, Tensor] {
  const cfg = res.config;
  const params = familyParams(cfg, draw);
  const mixture = params.mixingWeights !== undefined;
  const [Cc, G] = u.shape as [number, number];
  const uu = mixture ? u.reshape([Cc, 1, G]) : u;
  let p = mixture ? params.p.reshape([-1, 1]) : params.p;
  if (params.pCapture) {
    const nu = params.pCapture.slice([c0], [c1]);
    p = capturedProbability(p, mixture ? nu.reshape([Cc, 1, 1]) : nu.reshape([Cc, 1]));
  }
  p = clamp(p, 1e-6, 1 - 1e-6);
  const r = clamp(params.r, 1e-6);
  const q = sub(1, p);
  let hi = betainc(r, add(uu, 1), q);
  let lo = where(gt(uu, 0), betainc(r, maximum(uu, 1), q), 0);
  if (params.gate) {
    const g = params.gate;
    hi = add(g, mul(sub(1, g), hi));
    lo = where(gt(uu, 0), add(g, mul(sub(1, g), lo)), 0);
  }
  if (mixture) {
    const w = params.mixingWeights!.reshape([-1, 1]);
    hi = sum(mul(hi, w), 1);
    lo = sum(mul(lo, w), 1);
  }
  return [lo, hi];
}

/**
 * Randomized quantile residuals of every count and their per-gene summaries (see the module
 * comment). TwoState models use the Poisson–Beta CDF of comparison/two-state-cdf.ts.
 * @example
 * const stats = await quantileResiduals(results, counts, { seed: 1 });
 * const ok = goodnessOfFitMask(stats); // genes whose residuals look standard normal
 */
export async function quantileResiduals(
  res: ScribeResults,
  counts: Tensor,
  opts: QuantileResidualOptions = {},
): Promise<QuantileResidualStats> {
  checkCountsShape(res, counts, "quantileResiduals");
  // the NB CDF (likelihood/nb-family.ts) or the TwoState Poisson–Beta CDF summed on the host
  // (comparison/two-state-cdf.ts)
  const family = familyOf(res.config).traits;
  if (family.name !== "nb" && family.name !== "two_state")
    throw new Error(
      `quantileResiduals: model ${res.modelType} (${family.label}) is not supported; NB-family and TwoState models only`,
    );
  const twoState = family.name === "two_state";
  const [C, G] = counts.shape as [number, number];
  const seed = opts.seed ?? 0;
  const [kDraws, kUnif] = splitKey(makeKey(seed), 2) as [Key, Key];
  let draws: Record<string, Tensor>[];
  let owned: Record<string, Tensor> | null = null;
  if ((opts.source ?? "map") === "map") draws = [res.getMap({ counts })];
  else {
    const S = opts.nSamples ?? 100;
    owned = res.getPosteriorSamples({ nSamples: S, seed: kDraws, counts });
    const n = Object.values(owned)[0]!.shape[0]!;
    draws = Array.from({ length: n }, (_, s) => drawAt(owned!, s));
  }
  const cellChunk = Math.max(1, Math.min(C, Math.floor((opts.chunkElements ?? 2_097_152) / G)));
  const resid = new Float32Array(C * G);
  let kChunk = kUnif;
  for (let c0 = 0; c0 < C; c0 += cellChunk) {
    const c1 = Math.min(C, c0 + cellChunk);
    const [kNext, kHere] = splitKey(kChunk, 2) as [Key, Key];
    kChunk = kNext;
    const hostPair = twoState ? await twoStateMeanCdf(counts, draws, res, c0, c1) : null;
    const q = scope(() => {
      let fLo: Tensor;
      let fHi: Tensor;
      if (hostPair) {
        fLo = tensor(hostPair.lo, { shape: [c1 - c0, G] });
        fHi = tensor(hostPair.hi, { shape: [c1 - c0, G] });
      } else {
        const u = counts.slice([c0, 0], [c1, G]);
        let lo: Tensor | null = null;
        let hi: Tensor | null = null;
        for (const d of draws) {
          const [l, h] = cdfPair(u, d, res, c0, c1);
          lo = lo ? add(lo, l) : l;
          hi = hi ? add(hi, h) : h;
        }
        fLo = lo!.div(draws.length);
        fHi = hi!.div(draws.length);
      }
      const v = add(fLo, mul(random.uniform(kHere, [c1 - c0, G]), sub(fHi, fLo)));
      return ndtri(clamp(v, V_CLIP, 1 - V_CLIP));
    });
    const data = await q.data();
    q.dispose();
    for (let j = 0; j < (c1 - c0) * G; j++) {
      const v = Number(data[j]);
      if (!Number.isFinite(v))
        throw new Error(
          `quantileResiduals: non-finite residual at cell ${c0 + Math.floor(j / G)}, gene ${j % G} (check the counts and the fitted parameters)`,
        );
      resid[c0 * G + j] = v;
    }
  }
  if (owned) dispose(owned);
  return { ...residualStats(resid, C, G), ...(opts.keepResiduals ? { residuals: resid } : {}) };
}

/** The TwoState CDF pair of cells c0 … c1 − 1 averaged over the draws (float32 for the randomization). */
async function twoStateMeanCdf(
  counts: Tensor,
  draws: readonly Readonly<Record<string, Tensor>>[],
  res: ScribeResults,
  c0: number,
  c1: number,
): Promise<{ lo: Float32Array; hi: Float32Array }> {
  const G = counts.shape[1]!;
  const chunk = counts.slice([c0, 0], [c1, G]);
  const u = Float64Array.from((await chunk.data()) as ArrayLike<number>, Number);
  chunk.dispose();
  const lo = new Float64Array(u.length);
  const hi = new Float64Array(u.length);
  const nodes = res.config.nQuadNodes ?? TWO_STATE_DEFAULT_NODES;
  for (const d of draws) {
    const pair = await twoStateCdfPair(u, c0, c1 - c0, await twoStateHostParams(res.config, d), nodes);
    for (let j = 0; j < u.length; j++) {
      lo[j] = lo[j]! + pair.lo[j]!;
      hi[j] = hi[j]! + pair.hi[j]!;
    }
  }
  const n = draws.length;
  return { lo: Float32Array.from(lo, (v) => v / n), hi: Float32Array.from(hi, (v) => v / n) };
}

/** Per-gene mean, variance, tail excess and KS of a C × G residual matrix. */
export function residualStats(
  resid: Float32Array,
  C: number,
  G: number,
): Omit<QuantileResidualStats, "residuals"> {
  const mean = new Float64Array(G);
  const variance = new Float64Array(G);
  const tailExcess = new Float64Array(G);
  const ks = new Float64Array(G);
  const ksP = new Float64Array(G);
  const col = new Float64Array(C);
  for (let g = 0; g < G; g++) {
    let m = 0;
    let tail = 0;
    for (let c = 0; c < C; c++) {
      const v = resid[c * G + g]!;
      col[c] = v;
      m += v;
      if (Math.abs(v) > 2) tail++;
    }
    m /= C;
    let ss = 0;
    for (let c = 0; c < C; c++) ss += (col[c]! - m) ** 2;
    mean[g] = m;
    variance[g] = C > 1 ? ss / (C - 1) : Number.NaN;
    tailExcess[g] = tail / C - NORMAL_TAIL_2;
    ks[g] = ksDistanceNormal(col);
    ksP[g] = ksPValue(ks[g]!, C);
  }
  return { mean, variance, tailExcess, ks, ksPValue: ksP };
}

/** Thresholds of {@link goodnessOfFitMask}. */
export interface GoodnessOfFitMaskOptions {
  /** Smallest acceptable residual variance (default 0.5). */
  minVariance?: number;
  /** Largest acceptable residual variance (default 1.5). */
  maxVariance?: number;
  /** Largest acceptable KS distance (default: not used). */
  maxKs?: number;
}

/**
 * Genes whose quantile residuals pass (SCRIBE `scribe.mc` `compute_gof_mask`): variance in
 * [minVariance, maxVariance] and, when given, KS distance ≤ maxKs.
 * @example
 * const keep = goodnessOfFitMask(stats, { maxKs: 0.1 });
 */
export function goodnessOfFitMask(
  stats: Pick<QuantileResidualStats, "variance" | "ks">,
  opts: GoodnessOfFitMaskOptions = {},
): boolean[] {
  const lo = opts.minVariance ?? 0.5;
  const hi = opts.maxVariance ?? 1.5;
  return Array.from(
    stats.variance,
    (v, g) => v >= lo && v <= hi && (opts.maxKs === undefined || stats.ks[g]! <= opts.maxKs),
  );
}
