/**
 * Per-cell and per-gene log-likelihoods of fitted parameters (SCRIBE results `log_likelihood`),
 * through the NB-family likelihood of `likelihood/` (which reproduces SCRIBE's golden
 * values), or the Poisson–Beta likelihood of the TwoState models (`likelihood/two-state.ts`).
 * Mixture semantics: per cell, logsumexp_k(log π_k + Σ_g log f_k); per gene,
 * logsumexp_k(log π_k + Σ_c log f_k).
 * @module
 */
import { stack, type Tensor } from "@scribe/core";
import { nbLikelihoodParams } from "../families/nb.js";
import { familyOf } from "../families/registry.js";
import type { LogLikelihoodOptions, NbFamilyParams } from "../likelihood/nb-family.js";
import type { ModelConfig } from "../models/config.js";

/** The canonical NB-family params of one draw, in the form `likelihood/` expects (NB family only). */
export const familyParams: (cfg: ModelConfig, draw: Readonly<Record<string, Tensor>>) => NbFamilyParams =
  nbLikelihoodParams;

/** One draw out of a record of samples [S, …]. */
export function drawAt(samples: Readonly<Record<string, Tensor>>, s: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(samples)) {
    const sh = [...v.shape];
    out[k] = v.slice([s, ...sh.slice(1).map(() => 0)], [s + 1, ...sh.slice(1)]).reshape(sh.slice(1));
  }
  return out;
}

/** Log-likelihood of one parameter draw: [C] or [G] (or [·, K] with splitComponents). */
export function drawLogLikelihood(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  opts: LogLikelihoodOptions = {},
): Tensor {
  return familyOf(cfg).drawLogLikelihood(cfg, counts, draw, opts);
}

/** Number of draws S of a record of samples [S, …]. */
export function sampleCount(samples: Readonly<Record<string, Tensor>>): number {
  const t = samples.p ?? samples.mu ?? Object.values(samples)[0];
  if (!t) throw new Error("no posterior samples");
  return t.shape[0]!;
}

/** Log-likelihood for every draw of `samples` (leading axis S): [S, C] or [S, G]. */
export function samplesLogLikelihood(
  cfg: ModelConfig,
  counts: Tensor,
  samples: Readonly<Record<string, Tensor>>,
  opts: LogLikelihoodOptions = {},
): Tensor {
  const S = sampleCount(samples);
  const rows: Tensor[] = [];
  for (let s = 0; s < S; s++) rows.push(drawLogLikelihood(cfg, counts, drawAt(samples, s), opts));
  return stack(rows, 0);
}
