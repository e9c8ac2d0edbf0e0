/**
 * Denoised counts (spec §4.2 `denoise_counts_map`): the posterior of the true (pre-capture,
 * pre-dropout) counts given the observed ones. With q = p(1 − ν_c) (q = 0 without capture) the
 * uncaptured counts are d | u ~ NB(r + u, probs q): mean m̂ = (u + r·q)/(1 − q), mode
 * u + ⌊max(r + u − 1, 0)·q/(1 − q)⌋, variance (r + u)q/(1 − q)². Zero-inflated zeros are a
 * structural zero with weight w = g/(g + (1 − g)((1 − p)/(1 − q))^r), in which case the value
 * is the prior NB mean r·p/(1 − p); the mean mixes both paths, the mode picks the likelier one.
 * Mixtures use each cell's most probable component.
 * @module
 */
import { add, clamp, div, floor, gt, type Key, key as makeKey, maximum, mul, pow, sub, type Tensor, where } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import type { ModelConfig } from "../models/config.js";
import { P_FLOOR } from "../models/observation.js";
import { type ParamAxes, paramAxes } from "../models/parameterization.js";

/** Options of {@link denoiseCounts}. */
export interface DenoiseOptions {
  /** "mean" (default), "mode" or "sample". */
  method?: "mean" | "mode" | "sample";
  /** Seed for `method: "sample"` (default 42). */
  seed?: number | Key;
  /** Hard component per cell (mixtures; default: from the parameters). */
  assignments?: Tensor;
}

function perCell(x: Tensor, a: ParamAxes, z: Tensor | null): Tensor {
  let y = a.hasK && z ? x.index(z) : x.reshape(a.hasK ? [...x.shape] : [1, ...x.shape]);
  if (!a.hasG) y = y.reshape([y.shape[0]!, 1]);
  return y;
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
  const method = opts.method ?? "mean";
  const C = counts.shape[0]!;
  const axes = paramAxes(cfg);
  const z = cfg.nComponents > 1 ? (opts.assignments ?? null) : null;
  if (cfg.nComponents > 1 && !z) throw new Error("denoiseCounts: mixtures need per-cell assignments");
  const r = perCell(draw.r!, axes.r, z);
  const p = clamp(perCell(draw.p!, axes.p, z), P_FLOOR, 1 - P_FLOOR);
  const nu = draw.p_capture ? draw.p_capture.reshape([C, 1]) : null;
  const q = nu ? clamp(mul(p, sub(1, nu)), 0, 1 - P_FLOOR) : null;
  const u = counts;
  let nbPath: Tensor;
  if (!q) nbPath = u;
  else if (method === "mean") nbPath = div(add(u, mul(r, q)), sub(1, q));
  else if (method === "mode") nbPath = add(u, floor(div(mul(maximum(sub(add(r, u), 1), 0), q), sub(1, q))));
  else {
    const k = typeof opts.seed === "object" ? opts.seed : makeKey(opts.seed ?? 42);
    const d = new NegativeBinomialProbs(add(r, u).add(1e-8), q.expand([C, cfg.nGenes]), false).sample(k);
    nbPath = add(u, d);
  }
  if (!draw.gate) return nbPath;
  const g = perCell(draw.gate, axes.gate, z);
  const ratio = q ? div(sub(1, p), sub(1, q)) : sub(1, p);
  const w0 = div(g, add(g, mul(sub(1, g), pow(ratio, r))));
  const w = where(u.eq(0), w0, 0);
  const gateValue = div(mul(r, p), sub(1, p));
  if (method === "mean") return add(mul(w, gateValue), mul(sub(1, w), nbPath));
  return where(gt(w, 0.5), method === "mode" ? floor(gateValue) : gateValue, nbPath);
}
