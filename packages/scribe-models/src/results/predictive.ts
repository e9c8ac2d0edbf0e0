/**
 * Predictive count samples (SCRIBE results): the posterior predictive (`ppc`: capture and gate
 * included) and the biological predictive (NB(r, p) only: capture and zero inflation
 * stripped), for any record of parameter draws [S, …] (posterior samples, or one MAP draw).
 * @module
 */
import { type Key, key as makeKey, splitKey, stack, type Tensor } from "@scribe/core";
import { familyOf } from "../families/registry.js";
import type { ModelConfig } from "../models/config.js";
import { drawAt, sampleCount } from "./log-likelihood.js";

/** Options of {@link predictiveSamples}. */
export interface PredictiveOptions {
  /** Seed or key (default 42). */
  seed?: number | Key;
  /** Strip capture and gate (biological predictive). */
  biological?: boolean;
}

/** Draw one count matrix [C, G] from one parameter draw (the model family's predictive; see `families/`). */
export function predictiveDraw(
  cfg: ModelConfig,
  draw: Readonly<Record<string, Tensor>>,
  k: Key,
  biological = false,
): Tensor {
  return familyOf(cfg).predictiveDraw(cfg, draw, k, biological);
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
