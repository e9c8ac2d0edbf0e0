/**
 * Per-cell and per-gene log-likelihoods of fitted parameters (SCRIBE results `log_likelihood`),
 * through the NB-family likelihood of `likelihood/` (which reproduces SCRIBE's golden
 * values), or the Poisson–Beta likelihood of the TwoState models (`likelihood/two-state.ts`).
 * Mixture semantics: per cell, logsumexp_k(log π_k + Σ_g log f_k); per gene,
 * logsumexp_k(log π_k + Σ_c log f_k).
 * @module
 */
import { stack, type Tensor } from "@scribe/core";
import {
  type LogLikelihoodOptions,
  type NbFamilyParams,
  nbFamilyLogLikelihood,
} from "../likelihood/nb-family.js";
import { twoStateLogLikelihood } from "../likelihood/two-state.js";
import { type ModelConfig, TWO_STATE_DEFAULT_NODES } from "../models/config.js";
import { twoStateDrawParams } from "../models/two-state.js";

/** The canonical NB-family params of one draw, in the form `likelihood/` expects. */
export function familyParams(cfg: ModelConfig, draw: Readonly<Record<string, Tensor>>): NbFamilyParams {
  const mix = cfg.nComponents > 1;
  let p = draw.p!;
  let r = draw.r!;
  let gate = draw.gate;
  if (mix) {
    const K = cfg.nComponents;
    const G = cfg.nGenes;
    if (p.rank === 0) p = p.expand([K]);
    if (p.rank === 1 && p.shape[0] === G && G !== K)
      throw new Error("log-likelihood: gene-level p in a mixture is not supported by likelihood/");
    if (r.rank === 1) r = r.expand([K, G]);
    if (gate && gate.rank === 1) gate = gate.expand([K, G]);
  }
  return {
    p,
    r,
    ...(gate ? { gate } : {}),
    ...(draw.p_capture ? { pCapture: draw.p_capture } : {}),
    ...(mix ? { mixingWeights: draw.mixing_weights! } : {}),
  };
}

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
  if (cfg.twoState)
    return twoStateLogLikelihood(counts, twoStateDrawParams(cfg, draw), {
      ...opts,
      nQuadNodes: cfg.nQuadNodes ?? TWO_STATE_DEFAULT_NODES,
    });
  return nbFamilyLogLikelihood(counts, familyParams(cfg, draw), opts);
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
