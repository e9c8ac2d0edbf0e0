/**
 * Posterior draws from a fitted guide (SCRIBE results `get_posterior_samples`): every latent site
 * drawn from its variational factor with a leading sample axis (chunked over samples), then
 * the derived parameters computed from them by the model family (p, r, mu, phi, gate; TwoState:
 * alpha, beta, r_hat, …) and the capture conversions.
 * @module
 */
import { concat, exp, expm1, type Key, key as makeKey, neg, splitKey, type Tensor } from "@scribe/core";
import { familyOf } from "../families/registry.js";
import { guideDistributions } from "../guides/guide.js";
import type { ModelConfig } from "../models/config.js";

/** Options of {@link posteriorSamples}. */
export interface PosteriorSampleOptions {
  /** Number of draws (default 100). */
  nSamples?: number;
  /** Seed or key (default 42). */
  seed?: number | Key;
  /** Draw this many samples at a time (default: all at once). */
  batchSize?: number;
  /** Counts matrix (needed by the amortized capture guide). */
  counts?: Tensor | null;
}

/** Complete a record of latent values with the derived parameters. */
export function withDerived(
  cfg: ModelConfig,
  latent: Record<string, Tensor>,
  lead: number,
): Record<string, Tensor> {
  const out = { ...latent };
  Object.assign(out, familyOf(cfg).derived(cfg, latent, lead));
  if (latent.eta_capture) {
    if (cfg.parameterization === "mean_odds") out.phi_capture = expm1(latent.eta_capture);
    out.p_capture = exp(neg(latent.eta_capture));
  } else if (latent.phi_capture) out.p_capture = latent.phi_capture.add(1).reciprocal();
  return out;
}

/**
 * Draw `nSamples` posterior samples: a record of tensors [S, …] with all latent sites and the
 * derived parameters (p, r, mu, phi, gate, p_capture).
 */
export function posteriorSamples(
  cfg: ModelConfig,
  params: Readonly<Record<string, Tensor>>,
  opts: PosteriorSampleOptions = {},
): Record<string, Tensor> {
  const S = opts.nSamples ?? 100;
  if (!Number.isInteger(S) || S < 1) throw new Error(`nSamples must be a positive integer, got ${S}`);
  const chunk = Math.max(1, Math.min(S, opts.batchSize ?? S));
  let k = typeof opts.seed === "object" ? opts.seed : makeKey(opts.seed ?? 42);
  const dists = guideDistributions(cfg, params, opts.counts ?? null);
  const parts: Record<string, Tensor>[] = [];
  for (let done = 0; done < S; done += chunk) {
    const n = Math.min(chunk, S - done);
    const [kNext, kDraw] = splitKey(k, 2) as [Key, Key];
    k = kNext;
    const keys = splitKey(kDraw, dists.size);
    const latent: Record<string, Tensor> = {};
    let i = 0;
    for (const [name, { dist }] of dists) latent[name] = dist.sample(keys[i++]!, [n]);
    parts.push(withDerived(cfg, latent, 1));
  }
  if (parts.length === 1) return parts[0]!;
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(parts[0]!))
    out[name] = concat(
      parts.map((p) => p[name]!),
      0,
    );
  return out;
}
