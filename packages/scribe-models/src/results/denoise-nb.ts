/**
 * The NB-family denoising formulas of one parameter draw (SCRIBE results; the notes of
 * `denoise.ts`): d | u ~ NB(r + u, probs q) with q = p(1 − ν_c), zero-inflated zeros mixed with
 * the prior NB path by their structural-zero weight; BNB draws (ω) go to `denoise-bnb.ts`. Used by the NB family module
 * (`families/nb.ts`); `denoise.ts` dispatches to the family.
 * @module
 */
import {
  add,
  clamp,
  div,
  floor,
  full,
  gt,
  type Key,
  maximum,
  mul,
  pow,
  random,
  splitKey,
  square,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import type { ModelConfig } from "../models/config.js";
import { P_FLOOR } from "../models/observation.js";
import { type ParamAxes, paramAxes } from "../models/parameterization.js";
import { bnbDenoiseGrid } from "./denoise-bnb.js";

/** A denoising summary of the posterior of the true counts. */
export type DenoiseMethod = "mean" | "mode" | "sample";

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

/** The capture probability ν [C, 1] of a draw (p_capture, or 1/(1 + phi_capture) under mean_odds), or null. */
export function drawCaptureProbability(draw: Readonly<Record<string, Tensor>>, C: number): Tensor | null {
  if (draw.p_capture) return draw.p_capture.reshape([C, 1]);
  if (draw.phi_capture) return div(1, add(draw.phi_capture, 1)).reshape([C, 1]);
  return null;
}

/** One draw's parameters on the [C|1, G|1] grid, as the denoising formulas take them. */
export interface DenoiseGridParams {
  r: Tensor;
  p: Tensor;
  /** Capture probability ν [C, 1], or null. */
  nu: Tensor | null;
  gate: Tensor | null;
  /** BNB excess-dispersion fraction ω [1, G] (`overdispersion: "bnb"`), or null. */
  omega: Tensor | null;
}

/**
 * Denoised counts and variances [C, G] of one draw on the grid: the NB formulas (module notes),
 * or with ω the BNB posterior (`denoise-bnb.ts`).
 */
export function denoiseGrid(
  u: Tensor,
  P: DenoiseGridParams,
  methods: [DenoiseMethod, DenoiseMethod],
  k: Key,
): DenoiseResult {
  if (P.omega)
    return bnbDenoiseGrid(u, { r: P.r, p: P.p, omega: P.omega, nu: P.nu, gate: P.gate }, methods, k);
  const p = clamp(P.p, P_FLOOR, 1 - P_FLOOR);
  const q = P.nu ? clamp(mul(p, sub(1, P.nu)), 0, 1 - P_FLOOR) : null;
  return denoiseCells(u, { r: P.r, p, q, gate: P.gate }, methods, k);
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

/**
 * Denoised counts and variances [C, G] of an NB-family draw; `pick` chooses the component of a
 * mixture (an index for every cell, per-cell indices int32 [C], or null).
 */
export function nbDenoiseCells(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  pick: Tensor | number | null,
  methods: [DenoiseMethod, DenoiseMethod],
  k: Key,
): DenoiseResult {
  const C = counts.shape[0]!;
  const axes = paramAxes(cfg);
  const grid: DenoiseGridParams = {
    r: onGrid(draw.r!, axes.r, pick),
    p: onGrid(draw.p!, axes.p, pick),
    nu: drawCaptureProbability(draw, C),
    gate: draw.gate ? onGrid(draw.gate, axes.gate, pick) : null,
    omega: draw.bnb_concentration ? draw.bnb_concentration.reshape([1, cfg.nGenes]) : null,
  };
  return denoiseGrid(counts, grid, methods, k);
}
