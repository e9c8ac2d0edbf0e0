/**
 * Where the posterior draws of a comparison come from: a fitted {@link ScribeResults} (SVI:
 * fresh draws from the guide, a batch at a time; MCMC: the stored draws) or plain arrays of
 * draws. Either way a batch is read back once (`await t.data()`) into the biological NB
 * parameters r and mu (code convention, mean = r·p/(1−p); SCRIBE NB convention) on a [draw, component,
 * gene] grid, plus the mixing weights.
 * @module
 */
import { foldIn, type Key, type Tensor } from "@scribe/core";
import { familyOf } from "../../families/registry.js";
import type { ScribeResults } from "../../results/results.js";

/** The biological NB parameters of a batch of draws. */
export interface ParamBatch {
  /** Draws in the batch. */
  readonly n: number;
  /** r per draw, component, gene: [n, K, G]. */
  readonly r: Float64Array | Float32Array;
  /** mu per draw, component, gene: [n, K, G]. */
  readonly mu: Float64Array | Float32Array;
  /** Mixing weights [n, K] (null without a mixture). */
  readonly weights: Float64Array | Float32Array | null;
}

/** A source of posterior draws of r and mu. */
export interface DrawSource {
  /** Gene names. */
  readonly genes: readonly string[];
  /** Mixture components (1 without a mixture). */
  readonly nComponents: number;
  /** Component labels, when known (annotation priors). */
  readonly componentLabels: readonly string[] | null;
  /** Draws available (null: as many as asked, drawn fresh). */
  readonly nStored: number | null;
  /** Draws `start … start+n−1`; `k` seeds fresh draws (ignored for stored ones). */
  batch(start: number, n: number, k: Key): Promise<ParamBatch>;
}

/** Plain arrays of draws (row-major, leading axis = draws), for {@link drawsSource}. */
export interface PosteriorDraws {
  /** Gene names (length G). */
  genes: readonly string[];
  /** r draws: [S, G] or [S, K, G]. */
  r: Float64Array | Float32Array;
  /** mu draws, same shape as r; or give `p`. */
  mu?: Float64Array | Float32Array;
  /** p draws (code convention): [S] (shared), [S, G], [S, K] or [S, K, G]. */
  p?: Float64Array | Float32Array;
  /** Number of draws S. */
  nDraws: number;
  /** Mixture components K (default 1). */
  nComponents?: number;
  /** Mixing weights [S, K]. */
  weights?: Float64Array | Float32Array;
  /** Component labels. */
  componentLabels?: readonly string[];
}

/**
 * Bring rows [start, start+n) of an array shaped [S, …] with per-draw size `per` (1, G, K or
 * K·G) onto the [n, K, G] grid.
 */
function toGrid(
  src: Float32Array | Float64Array,
  per: number,
  start: number,
  n: number,
  K: number,
  G: number,
  what: string,
): Float64Array | Float32Array {
  // already on the grid: a view, no copy
  if (per === K * G) return src.subarray(start * per, (start + n) * per);
  const out = new Float64Array(n * K * G);
  for (let i = 0; i < n; i++) {
    const base = (start + i) * per;
    const o = i * K * G;
    if (per === G)
      for (let k = 0; k < K; k++) for (let g = 0; g < G; g++) out[o + k * G + g] = src[base + g]!;
    else if (per === K) for (let k = 0; k < K; k++) out.fill(src[base + k]!, o + k * G, o + (k + 1) * G);
    else if (per === 1) out.fill(src[base]!, o, o + K * G);
    else throw new Error(`${what}: ${per} values per draw fit neither 1, G=${G}, K=${K} nor K·G`);
  }
  return out;
}

/** A {@link DrawSource} over plain arrays of draws. */
export function drawsSource(d: PosteriorDraws): DrawSource {
  const G = d.genes.length;
  const K = d.nComponents ?? 1;
  const S = d.nDraws;
  if (!Number.isInteger(S) || S < 1)
    throw new Error(`posterior draws: nDraws must be a positive integer, got ${S}`);
  if (d.r.length !== S * G * K)
    throw new Error(`posterior draws: r has ${d.r.length} values, expected S·K·G = ${S}·${K}·${G}`);
  if (!d.mu && !d.p) throw new Error("posterior draws: give mu or p beside r");
  if (d.mu && d.mu.length !== d.r.length)
    throw new Error(`posterior draws: mu has ${d.mu.length} values, expected ${d.r.length} (the shape of r)`);
  if (K > 1 && (!d.weights || d.weights.length !== S * K))
    throw new Error(`posterior draws: a mixture needs weights [S, K] = ${S * K} values`);
  return {
    genes: d.genes,
    nComponents: K,
    componentLabels: d.componentLabels ?? null,
    nStored: S,
    async batch(start, n) {
      const r = toGrid(d.r, K * G, start, n, K, G, "r");
      let mu: Float64Array | Float32Array;
      if (d.mu) mu = toGrid(d.mu, K * G, start, n, K, G, "mu");
      else {
        const per = d.p!.length / S;
        const m = new Float64Array(r.length);
        // (per === G wins over per === K when K = G, as in toGrid)
        if (per === 1 || (per === K && per !== G)) {
          // p shared by the genes: one odds p/(1−p) per draw (and component), no [n, K, G] grid of p
          for (let i = 0; i < n; i++)
            for (let k = 0; k < K; k++) {
              const pk = d.p![(start + i) * per + (per === 1 ? 0 : k)]!;
              const odds = pk / (1 - pk);
              const o = (i * K + k) * G;
              for (let g = 0; g < G; g++) m[o + g] = r[o + g]! * odds;
            }
        } else {
          const p = toGrid(d.p!, per, start, n, K, G, "p");
          for (let j = 0; j < m.length; j++) m[j] = (r[j]! * p[j]!) / (1 - p[j]!);
        }
        mu = m;
      }
      return { n, r, mu, weights: d.weights ? d.weights.slice(start * K, (start + n) * K) : null };
    },
  };
}

function asFloat(x: unknown, what: string): Float32Array | Float64Array {
  if (x instanceof Float32Array || x instanceof Float64Array) return x;
  throw new Error(`posterior samples: site ${what} is not a float tensor`);
}

interface SiteArrays {
  S: number;
  r: Float32Array | Float64Array;
  mu: Float32Array | Float64Array;
  w: Float32Array | Float64Array | null;
}

async function readSites(samples: Record<string, Tensor>, K: number): Promise<SiteArrays> {
  const { r, mu } = samples;
  if (!r || !mu) throw new Error("posterior samples lack r or mu");
  const w = K > 1 ? samples.mixing_weights : undefined;
  if (K > 1 && !w) throw new Error("posterior samples of a mixture lack mixing_weights");
  return {
    S: r.shape[0]!,
    r: asFloat(await r.data(), "r"),
    mu: asFloat(await mu.data(), "mu"),
    w: w ? asFloat(await w.data(), "mixing_weights") : null,
  };
}

function sliceSites(a: SiteArrays, K: number, G: number, start: number, n: number): ParamBatch {
  return {
    n,
    r: toGrid(a.r, a.r.length / a.S, start, n, K, G, "r"),
    mu: toGrid(a.mu, a.mu.length / a.S, start, n, K, G, "mu"),
    weights: a.w ? Float64Array.from({ length: n * K }, (_, j) => a.w![start * K + j]!) : null,
  };
}

/**
 * A {@link DrawSource} over fitted results: SVI results draw `n` fresh samples from the guide per
 * batch (seeded by the batch key); MCMC results serve their stored draws in order. Component
 * labels come from `results.meta.componentLabels` when the fit stored them.
 */
export function resultsSource(res: ScribeResults, label = "results"): DrawSource {
  const cfg = res.config;
  const family = familyOf(cfg).traits;
  if (family.name !== "nb")
    throw new Error(
      `${label}: model ${cfg.modelType} is a ${family.label} model; Bayesian DE on compositions needs an NB-family model (nbdm, zinb, nbvcp, zinbvcp)`,
    );
  if (cfg.amortizeCapture)
    throw new Error(
      `${label}: results with an amortized capture guide need the counts to draw from the guide; compare() does not support them yet`,
    );
  const K = cfg.nComponents;
  const G = cfg.nGenes;
  const labels = Array.isArray(res.meta.componentLabels)
    ? (res.meta.componentLabels as unknown[]).map(String)
    : null;
  const mcmc = res.inferenceMethod === "mcmc" && res.mcmcSamples;
  let stored: SiteArrays | null = null;
  return {
    genes: res.varNames,
    nComponents: K,
    componentLabels: labels,
    nStored: mcmc ? res.mcmcSamples!.r!.shape[0]! : null,
    async batch(start, n, k) {
      if (mcmc) {
        stored ??= await readSites(res.mcmcSamples!, K);
        if (start + n > stored.S)
          throw new Error(
            `${label}: asked for draws up to ${start + n}, but the MCMC results store ${stored.S}`,
          );
        return sliceSites(stored, K, G, start, n);
      }
      const samples = await res.getPosteriorSamples({ nSamples: n, seed: foldIn(k, 0) });
      try {
        // copies: the views would outlive the tensors disposed below
        const b = sliceSites(await readSites(samples, K), K, G, 0, n);
        // (slice: a typed copy; Float64Array.from would walk the iterator, ~10× slower at 4·10⁶ values)
        return { n, r: b.r.slice(), mu: b.mu.slice(), weights: b.weights };
      } finally {
        for (const t of Object.values(samples)) t.dispose();
      }
    },
  };
}
