/**
 * Predictive count samples (SCRIBE results): the posterior predictive (`ppc`: capture and gate
 * included) and the biological predictive (NB(r, p) only: capture and zero inflation
 * stripped), for any record of parameter draws [S, …] (posterior samples, or one MAP draw).
 * @module
 */
import { clamp, type Key, key as makeKey, random, splitKey, stack, type Tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import type { ModelConfig } from "../models/config.js";
import { capturedP, P_FLOOR } from "../models/observation.js";
import { type ParamAxes, paramAxes } from "../models/parameterization.js";
import { twoStatePredictiveDraw } from "../models/two-state.js";
import { drawAt, sampleCount } from "./log-likelihood.js";

/** Options of {@link predictiveSamples}. */
export interface PredictiveOptions {
  /** Seed or key (default 42). */
  seed?: number | Key;
  /** Strip capture and gate (biological predictive). */
  biological?: boolean;
}

/** Draw one count matrix [C, G] from one parameter draw. */
export function predictiveDraw(
  cfg: ModelConfig,
  draw: Readonly<Record<string, Tensor>>,
  k: Key,
  biological = false,
): Tensor {
  if (cfg.twoState) return twoStatePredictiveDraw(cfg, draw, k, biological);
  const C = cfg.nCells;
  const G = cfg.nGenes;
  const mix = cfg.nComponents > 1;
  const [kz, kc, kg] = splitKey(k, 3) as [Key, Key, Key];
  let r = draw.r!;
  let p = draw.p!;
  let gate = draw.gate;
  const axes = paramAxes(cfg);
  const perCell = (x: Tensor, a: ParamAxes, z: Tensor | null): Tensor => {
    // natural [K?, G?] → [C or 1, G or 1]
    let y = a.hasK && z ? x.index(z) : x.reshape(a.hasK ? [...x.shape] : [1, ...x.shape]);
    if (!a.hasG) y = y.reshape([y.shape[0]!, 1]);
    return y;
  };
  const z = mix ? random.categorical(kz, draw.mixing_weights!.log(), [C]) : null;
  r = perCell(r, axes.r, z);
  p = perCell(p, axes.p, z);
  if (gate) gate = perCell(gate, axes.gate, z);
  if (!biological && draw.p_capture) p = capturedP(p, draw.p_capture.reshape([C, 1]));
  p = clamp(p, P_FLOOR, 1 - P_FLOOR);
  let u = new NegativeBinomialProbs(r.expand([C, G]), p.expand([C, G]), false).sample(kc);
  if (!biological && gate) {
    const zero = random.bernoulli(kg, gate.expand([C, G]));
    u = u.mul(zero.astype(u.dtype).neg().add(1));
  }
  return u;
}

/** Predictive samples [S, C, G] for every draw of `samples`. */
export function predictiveSamples(
  cfg: ModelConfig,
  samples: Readonly<Record<string, Tensor>>,
  opts: PredictiveOptions = {},
): Tensor {
  const S = sampleCount(samples);
  const k0 = typeof opts.seed === "object" ? opts.seed : makeKey(opts.seed ?? 42);
  const keys = splitKey(k0, S);
  const draws: Tensor[] = [];
  for (let s = 0; s < S; s++)
    draws.push(predictiveDraw(cfg, drawAt(samples, s), keys[s]!, opts.biological ?? false));
  return S === 1 ? draws[0]!.unsqueeze(0) : stack(draws, 0);
}
