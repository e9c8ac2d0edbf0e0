/**
 * Further result summaries (SCRIBE results): quantiles of posterior draws and of the guide's
 * marginals, prior predictive counts, Dirichlet-normalised expression (`normalize_counts`),
 * entropies of component assignments, and a denoised AnnData.
 * @module
 */
import {
  fromTypedArray,
  type Key,
  key as makeKey,
  maximum,
  random,
  seed,
  splitKey,
  stack,
  type Tensor,
  trace,
} from "@scribe/core";
import { Beta, betaQuantileWithComplement, Dirichlet, type Distribution } from "@scribe/distributions";
import { guideDistributions } from "../guides/guide.js";
import { type AnnData, createAnnData } from "../io/anndata.js";
import type { ModelConfig } from "../models/config.js";
import { buildModel } from "../models/model.js";
import { ScribeBetaPrime } from "../models/scribe-beta-prime.js";
import { drawAt, sampleCount } from "./log-likelihood.js";

function checkLevels(q: readonly number[]): void {
  if (q.length === 0) throw new Error("quantiles: give at least one level");
  for (const x of q) if (!(x > 0 && x < 1)) throw new Error(`quantiles: levels must lie in (0, 1), got ${x}`);
}

/**
 * Empirical quantiles of draws [S, …] along the sample axis (linear interpolation between
 * order statistics, NumPy's default "linear" method): [Q, …]. Reads the draws with one await
 * (sorting happens on the host; core has no sort op).
 */
export async function sampleQuantiles(draws: Tensor, q: readonly number[]): Promise<Tensor> {
  checkLevels(q);
  const S = draws.shape[0];
  if (!S) throw new Error("quantiles: draws need a leading sample axis with at least one draw");
  const rest = draws.shape.slice(1);
  const n = rest.reduce((a, b) => a * b, 1);
  const v = Float64Array.from((await draws.data()) as ArrayLike<number>);
  const out = new Float64Array(q.length * n);
  const col = new Float64Array(S);
  for (let j = 0; j < n; j++) {
    for (let s = 0; s < S; s++) col[s] = v[s * n + j]!;
    col.sort();
    q.forEach((level, i) => {
      const h = (S - 1) * level;
      const lo = Math.floor(h);
      const hi = Math.min(lo + 1, S - 1);
      out[i * n + j] = col[lo]! + (h - lo) * (col[hi]! - col[lo]!);
    });
  }
  return fromTypedArray(Float32Array.from(out), [q.length, ...rest]);
}

/**
 * Quantiles of every latent site's guide marginal in closed form: a record of [Q, …]. Families
 * with an inverse CDF (LogNormal, Normal + transform, Normal, and low-rank factors without a
 * component axis — their marginals are the normal's diagonal pushed through the transform) use
 * it; Beta, SCRIBE's BetaPrime and the Dirichlet's per-coordinate Beta marginals use the float64
 * Beta quantile on the host (their concentrations are read with one await each). Sites with
 * neither (flows, low-rank factors over components) are left out; use {@link sampleQuantiles}
 * on posterior draws for those.
 */
export async function guideQuantiles(
  cfg: ModelConfig,
  params: Readonly<Record<string, Tensor>>,
  q: readonly number[],
  counts?: Tensor | null,
): Promise<Record<string, Tensor>> {
  checkLevels(q);
  const out: Record<string, Tensor> = {};
  for (const [name, { dist }] of guideDistributions(cfg, params, counts ?? null)) {
    const t = (await betaFamilyQuantiles(dist, q)) ?? marginalQuantiles(dist, q);
    if (t) out[name] = t;
  }
  return out;
}

/**
 * Quantiles [Q, …batch, …event] of a Beta-family factor, or null for other families: Beta(a, b)
 * directly; SCRIBE's BetaPrime(α, β), the law of φ = (1 − p)/p with p ~ Beta(α, β), as y/x
 * where [y, x] is the Beta(β, α) quantile and its complement (1 − p ~ Beta(β, α), and φ is
 * increasing in 1 − p); a Dirichlet(α) coordinate i through its marginal Beta(α_i, α₀ − α_i).
 */
async function betaFamilyQuantiles(d: Distribution, q: readonly number[]): Promise<Tensor | null> {
  const shape = [...d.batchShape, ...d.eventShape];
  const n = shape.reduce((x, y) => x * y, 1);
  const read = async (t: Tensor) => Float64Array.from((await t.expand(shape).data()) as ArrayLike<number>);
  let a: Float64Array;
  let b: Float64Array;
  let value: (x: number, complement: number) => number = (x) => x;
  if (d instanceof Beta) [a, b] = await Promise.all([read(d.concentration1), read(d.concentration0)]);
  else if (d instanceof ScribeBetaPrime) {
    [a, b] = await Promise.all([read(d.concentration0), read(d.concentration1)]);
    value = (y, x) => y / x;
  } else if (d instanceof Dirichlet) {
    a = await read(d.concentration);
    const k = d.eventShape[0]!;
    b = new Float64Array(n);
    for (let row = 0; row < n; row += k) {
      let total = 0;
      for (let i = 0; i < k; i++) total += a[row + i]!;
      for (let i = 0; i < k; i++) b[row + i] = total - a[row + i]!;
    }
  } else return null;
  const out = new Float64Array(q.length * n);
  q.forEach((level, i) => {
    for (let j = 0; j < n; j++) {
      const [x, complement] = betaQuantileWithComplement(a[j]!, b[j]!, level);
      out[i * n + j] = value(x, complement);
    }
  });
  return fromTypedArray(Float32Array.from(out), [q.length, ...shape]);
}

function marginalQuantiles(d: Distribution, q: readonly number[]): Tensor | null {
  if (d.eventShape.length > 0) return null; // joint factors (low-rank): no per-coordinate icdf here
  const shape = [...d.batchShape];
  const rows: Tensor[] = [];
  try {
    for (const level of q)
      rows.push(
        d.icdf(fromTypedArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(level), shape)),
      );
  } catch {
    return null;
  }
  return stack(rows, 0);
}

/**
 * Prior predictive counts [S, C, G]: the model run without observations under `nSamples`
 * seeds, so every latent site is drawn from its prior (SCRIBE results
 * `get_prior_predictive_samples`). Per-cell capture under the biology-informed prior is drawn
 * with its location at 1 (there are no library sizes without data).
 */
export function priorPredictiveSamples(
  cfg: ModelConfig,
  opts: { nSamples?: number; seed?: number | Key } = {},
): Tensor {
  const S = opts.nSamples ?? 100;
  if (!Number.isInteger(S) || S < 1) throw new Error(`nSamples must be a positive integer, got ${S}`);
  const model = buildModel(cfg);
  const keys = splitKey(typeof opts.seed === "object" ? opts.seed : makeKey(opts.seed ?? 42), S);
  const draws: Tensor[] = [];
  for (const k of keys) {
    const tr = trace(seed(model, k)).getTrace(null, null);
    const site = tr.get("counts");
    if (!site || !("value" in site)) throw new Error("prior predictive: the model has no 'counts' site");
    draws.push(site.value as Tensor);
  }
  return stack(draws, 0);
}

/** Options of {@link normalizeCountsSamples}. */
export interface NormalizeOptions {
  /** Dirichlet draws per posterior draw (default 1; SCRIBE's `n_samples_dirichlet`). */
  nSamplesDirichlet?: number;
  /** Seed or key (default 42). */
  seed?: number | Key;
}

/** Normalised expression: compositions [S·n, (K,) G] and their mean over draws [(K,) G]. */
export interface NormalizedExpression {
  samples: Tensor;
  mean: Tensor;
}

/**
 * Normalised expression as SCRIBE's `normalize_counts` (SCRIBE results): for every posterior draw of
 * the dispersion r ([S, G], or [S, K, G] for mixtures), compositions ρ ~ Dirichlet(r) over the
 * genes (the NB–Dirichlet-multinomial correspondence: counts given the cell total are
 * multinomial with Dirichlet(r) proportions), `nSamplesDirichlet` per draw.
 */
export function normalizeCountsSamples(
  samples: Readonly<Record<string, Tensor>>,
  opts: NormalizeOptions = {},
): NormalizedExpression {
  const r = samples.r;
  if (!r) throw new Error("normalizeCounts: the posterior draws have no 'r' (NB-family models only)");
  const n = opts.nSamplesDirichlet ?? 1;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`nSamplesDirichlet must be a positive integer, got ${n}`);
  const S = sampleCount(samples);
  const keys = splitKey(typeof opts.seed === "object" ? opts.seed : makeKey(opts.seed ?? 42), S);
  const rows: Tensor[] = [];
  for (let s = 0; s < S; s++) {
    const rs = drawAt({ r }, s).r!;
    const d = random.dirichlet(keys[s]!, rs, [n, ...rs.shape.slice(0, -1)]);
    rows.push(d);
  }
  const all = stack(rows, 0); // [S, n, (K,) G]
  const flat = all.reshape([S * n, ...all.shape.slice(2)]);
  return { samples: flat, mean: flat.mean(0) };
}

/** Shannon entropy (nats) along the last axis of probabilities: −Σ p log p (0 log 0 = 0). */
export function entropy(probs: Tensor): Tensor {
  const logp = maximum(probs, 1e-30).log();
  return probs.mul(logp).sum(-1).neg();
}

/**
 * A denoised AnnData: X holds the denoised counts [C, G], the observed counts go to
 * `layers.counts`, cell and gene names are kept, and `uns.scribe_denoising` records the method.
 * Reads both tensors with one await each (any backend).
 */
export async function denoisedAnnData(
  denoised: Tensor,
  observed: Tensor,
  names: { obsNames: string[]; varNames: string[] },
  method: string,
): Promise<AnnData> {
  const [C, G] = denoised.shape as [number, number];
  const dense = async (t: Tensor) => ({
    format: "dense" as const,
    data: Float32Array.from((await t.data()) as ArrayLike<number>),
    shape: [C, G] as const,
  });
  return createAnnData({
    X: await dense(denoised),
    layers: { counts: await dense(observed) },
    obs: names.obsNames,
    var: names.varNames,
    uns: { scribe_denoising: { method } },
  });
}
