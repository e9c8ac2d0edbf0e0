/**
 * A seeded simulator of two-group pseudobulk/bulk RNA-seq counts with a realistic
 * mean–dispersion trend and known differentially expressed genes, for the DE
 * acceptance checks and the W4 benchmark. Labelled simulated; ground truth returned.
 *
 * Generative model (per gene g, sample i in group k ∈ {0, 1}):
 * - baseline mean m_g: log10 m_g ~ Normal(`logMeanMu`, `logMeanSd`) counts at size 1;
 * - overdispersion θ_g = (a₀ + a₁/m_g)·exp(ε_g), ε_g ~ Normal(0, `dispScatter`)
 *   (the asymptotic trend of bulk RNA-seq; a₀ = 0.05, a₁ = 1.5 by default);
 * - DE: a fraction `deFraction` of genes get |LFC| ~ `lfcShift` + Exponential(`lfcRate`)
 *   (defaults 0.25 and 2.5, tuned so that glmGamPoi reaches ≈ 70 % power here)
 *   (natural-log units, random sign), applied symmetrically (group 0 gets e^{−δ/2},
 *   group 1 e^{+δ/2}, m_g is the geometric mid-point) so that the library
 *   composition does not shift between groups in expectation;
 * - size factors s_i = exp(Normal(0, `sizeSd`));
 * - y_gi ~ Gamma–Poisson: λ ~ Gamma(shape 1/θ, scale θ·μ), y ~ Poisson(λ), μ = s_i m_g e^{δ_g k_i}.
 * Randomness: the package's seeded uniform generator (seeded-rng.ts), normals by
 * Box–Muller, gammas by Marsaglia–Tsang (2000), Poisson by inversion for λ < 30 and by the
 * PTRS transformed-rejection method (Hörmann 1993) otherwise.
 * @module
 */
import { makeRng } from "../seeded-rng.js";
import type { CountMatrix } from "./counts.js";

/** Standard normal by Box–Muller. */
export function randNormal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(rng())) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) by Marsaglia–Tsang (with the u^{1/a} boost for shape < 1). */
export function randGamma(rng: () => number, shape: number): number {
  if (shape < 1) return randGamma(rng, shape + 1) * rng() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = randNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function logFactorial(k: number): number {
  let s = 0;
  if (k < 20) {
    for (let j = 2; j <= k; j++) s += Math.log(j);
    return s;
  }
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/** Poisson(λ): inversion for λ < 30, PTRS (Hörmann 1993) otherwise. */
export function randPoisson(rng: () => number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    let k = 0;
    let p = Math.exp(-lambda);
    let cdf = p;
    const u = rng();
    while (u > cdf && k < 1000) {
      k++;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  }
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = rng() - 0.5;
    const V = rng();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor(((2 * a) / us + b) * U + lambda + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (
      Math.log(V) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
      -lambda + k * loglam - logFactorial(k)
    )
      return k;
  }
}

/** Options of {@link simulateTwoGroup}. */
export interface SimulateOptions {
  /** Genes (default 16,000). */
  nGenes?: number;
  /** Samples per group (default 14). */
  nPerGroup?: number;
  /** Fraction of DE genes (default 0.1). */
  deFraction?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Mean of log10 baseline mean (default 2). */
  logMeanMu?: number;
  /** SD of log10 baseline mean (default 0.8). */
  logMeanSd?: number;
  /** Asymptotic dispersion a₀ (default 0.05). */
  dispAsymptote?: number;
  /** Extra-Poisson term a₁ in a₀ + a₁/m (default 1.5). */
  dispExtra?: number;
  /** SD of the log-normal scatter of θ around the trend (default 0.5). */
  dispScatter?: number;
  /** Minimum |LFC| of DE genes, natural log (default 0.25). */
  lfcShift?: number;
  /** Rate of the exponential part of |LFC| (default 2.5). */
  lfcRate?: number;
  /** SD of log size factors (default 0.3). */
  sizeSd?: number;
}

/** A simulated data set with its ground truth. */
export interface SimulatedData {
  /** Simulated counts, genes × samples. */
  counts: CountMatrix;
  /** "A" (reference) for the first half of the samples, "B" for the second. */
  conditions: string[];
  /** 1 for truly DE genes. */
  isDE: Uint8Array;
  /** True log fold change B vs A (natural log). */
  trueLfc: Float64Array;
  /** True overdispersion θ. */
  trueTheta: Float64Array;
  /** Baseline mean m_g (geometric mid-point of the two groups). */
  trueMean: Float64Array;
  /** True size factors. */
  sizeFactors: Float64Array;
  /** Always true: these data are simulated. */
  simulated: true;
  /** The seed used. */
  seed: number;
}

/**
 * Simulate a two-group count matrix (defaults: 16,000 genes, 14 vs 14, 10 % DE,
 * seed 1). Conditions are `"A"` (reference) then `"B"`.
 */
export function simulateTwoGroup(opts: SimulateOptions = {}): SimulatedData {
  const G = opts.nGenes ?? 16000;
  const k = opts.nPerGroup ?? 14;
  const n = 2 * k;
  const seed = opts.seed ?? 1;
  const rng = makeRng(seed);
  const sizeFactors = Float64Array.from({ length: n }, () =>
    Math.exp((opts.sizeSd ?? 0.3) * randNormal(rng)),
  );
  const conditions = Array.from({ length: n }, (_, i) => (i < k ? "A" : "B"));
  const isDE = new Uint8Array(G);
  const trueLfc = new Float64Array(G);
  const trueTheta = new Float64Array(G);
  const trueMean = new Float64Array(G);
  const data = new Float64Array(G * n);
  const nDE = Math.round((opts.deFraction ?? 0.1) * G);
  for (let g = 0; g < G; g++) {
    const m = 10 ** ((opts.logMeanMu ?? 2) + (opts.logMeanSd ?? 0.8) * randNormal(rng));
    const th =
      ((opts.dispAsymptote ?? 0.05) + (opts.dispExtra ?? 1.5) / m) *
      Math.exp((opts.dispScatter ?? 0.5) * randNormal(rng));
    trueMean[g] = m;
    trueTheta[g] = th;
    if (g < nDE) {
      isDE[g] = 1;
      const mag = (opts.lfcShift ?? 0.25) + -Math.log(rng()) / (opts.lfcRate ?? 2.5);
      trueLfc[g] = (rng() < 0.5 ? -1 : 1) * mag;
    }
    for (let i = 0; i < n; i++) {
      const mu = sizeFactors[i]! * m * Math.exp((i >= k ? 0.5 : -0.5) * trueLfc[g]!);
      const lam = randGamma(rng, 1 / th) * th * mu;
      data[g * n + i] = randPoisson(rng, lam);
    }
  }
  // Shuffle gene order so DE genes are not all first (Fisher–Yates on a permutation).
  const perm = Int32Array.from({ length: G }, (_, i) => i);
  for (let i = G - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const out = new Float64Array(G * n);
  const p = <T extends Float64Array | Uint8Array>(a: T, mk: (len: number) => T): T => {
    const r = mk(G);
    for (let g = 0; g < G; g++) r[g] = a[perm[g]!]!;
    return r;
  };
  for (let g = 0; g < G; g++) out.set(data.subarray(perm[g]! * n, (perm[g]! + 1) * n), g * n);
  return {
    counts: { data: out, nGenes: G, nSamples: n, genes: Array.from({ length: G }, (_, g) => `gene${g}`) },
    conditions,
    isDE: p(isDE, (l) => new Uint8Array(l)),
    trueLfc: p(trueLfc, (l) => new Float64Array(l)),
    trueTheta: p(trueTheta, (l) => new Float64Array(l)),
    trueMean: p(trueMean, (l) => new Float64Array(l)),
    sizeFactors,
    simulated: true,
    seed,
  };
}
