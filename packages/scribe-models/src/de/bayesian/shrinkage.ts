/**
 * Adaptive shrinkage (SCRIBE `scribe.de` "Shrinkage"; Stephens, "False discovery rates: a new
 * deal", Biostatistics 18, 2017): the per-gene estimates Δ̂_g with standard errors s_g are
 * modelled as Δ̂_g ~ N(β_g, s_g²) with a scale-mixture prior β ~ Σ_k w_k N(0, σ_k²) on a fixed
 * grid, the weights fitted by EM (empirical Bayes), and each gene's posterior is then a mixture
 * of normals (and of the atom at 0).
 *
 * Differences from upstream, on purpose: the first grid component is an exact point mass at 0
 * (σ₀ = 0; upstream uses σ₀ = 1e−6, which splits the null mass evenly between the two signs),
 * and lfsr counts that atom on both sides (min(P(β≥0), P(β≤0)), as ash does); the grid's top
 * is max(3·max s, 2·√max(Δ̂² − s²)) — upstream's 3·max s, raised when an effect is larger than
 * that (ash's rule), which upstream's docs intend ("max |effect|").
 * @module
 */
import {
  checkTau,
  type DeltaPosterior,
  normalCdf,
  type ScalarPosterior,
  type Tails,
} from "./delta-posterior.js";

/** Options of {@link ashShrinkage}. */
export interface ShrinkageOptions {
  /** Prior standard deviations (first must be 0 for a null component; default: 0 plus 25 geometric values). */
  sigmaGrid?: ArrayLike<number>;
  /** EM iterations (default 200). */
  maxIter?: number;
  /** Stop when the log-likelihood changes by less (default 1e−8). */
  tol?: number;
  /** Dirichlet penalty λ₀ on the null weight (ash's "nullbiased" uses 10; default 1 = plain maximum likelihood, as upstream). */
  nullPenalty?: number;
}

/** The fitted prior. */
export interface ShrinkageFit {
  readonly sigma: Float64Array;
  readonly weights: Float64Array;
  /** Weight of the σ = 0 component (0 if the grid has none). */
  readonly nullProportion: number;
  readonly logLikelihood: number;
  readonly iterations: number;
  /** Responsibilities [G, K]. */
  readonly responsibilities: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** The default grid: 0 and 25 geometric values from max(1e−6, min s / 10) to the top described in the module comment. */
export function defaultSigmaGrid(betaHat: ArrayLike<number>, s: ArrayLike<number>): Float64Array {
  let sMin = Number.POSITIVE_INFINITY;
  let sMax = 0;
  let excess = 0;
  for (let g = 0; g < s.length; g++) {
    sMin = Math.min(sMin, s[g]!);
    sMax = Math.max(sMax, s[g]!);
    excess = Math.max(excess, betaHat[g]! ** 2 - s[g]! ** 2);
  }
  const lo = Math.max(1e-6, sMin / 10);
  const hi = Math.max(3 * sMax, 2 * Math.sqrt(excess), lo * 10);
  const out = new Float64Array(26);
  for (let k = 1; k < 26; k++) out[k] = lo * (hi / lo) ** ((k - 1) / 24);
  return out;
}

/** Log marginal densities log N(Δ̂_g | 0, σ_k² + s_g²), [G, K]. */
function logLik(betaHat: ArrayLike<number>, s: ArrayLike<number>, sigma: Float64Array): Float64Array {
  const G = betaHat.length;
  const K = sigma.length;
  const L = new Float64Array(G * K);
  for (let g = 0; g < G; g++)
    for (let k = 0; k < K; k++) {
      const v = sigma[k]! ** 2 + Math.max(s[g]!, 1e-30) ** 2;
      L[g * K + k] = -0.5 * (LOG_2PI + Math.log(v) + betaHat[g]! ** 2 / v);
    }
  return L;
}

/** Mixture log-likelihood Σ_g log Σ_k w_k L_gk (exposed for tests of the EM). */
export function mixtureLogLikelihood(
  betaHat: ArrayLike<number>,
  s: ArrayLike<number>,
  sigma: Float64Array,
  w: ArrayLike<number>,
): number {
  const L = logLik(betaHat, s, sigma);
  const K = sigma.length;
  let ll = 0;
  for (let g = 0; g < betaHat.length; g++) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) mx = Math.max(mx, L[g * K + k]!);
    let t = 0;
    for (let k = 0; k < K; k++) t += w[k]! * Math.exp(L[g * K + k]! - mx);
    ll += mx + Math.log(t);
  }
  return ll;
}

/**
 * Fit the scale-mixture prior by EM from uniform weights; weights floored at 1e−15 and
 * renormalised after each step.
 */
export function ashShrinkage(
  betaHat: ArrayLike<number>,
  s: ArrayLike<number>,
  opts: ShrinkageOptions = {},
): ShrinkageFit {
  const G = betaHat.length;
  if (G === 0 || s.length !== G)
    throw new Error(`shrinkage: need as many standard errors as estimates (got ${s.length} and ${G})`);
  for (let g = 0; g < G; g++)
    if (!Number.isFinite(betaHat[g]!) || !(s[g]! >= 0))
      throw new Error(
        `shrinkage: gene ${g} has estimate ${betaHat[g]} and sd ${s[g]}; both must be finite, sd ≥ 0`,
      );
  const sigma = opts.sigmaGrid ? Float64Array.from(opts.sigmaGrid) : defaultSigmaGrid(betaHat, s);
  if (sigma.some((v) => !(v >= 0) || !Number.isFinite(v)))
    throw new Error("shrinkage: sigmaGrid values must be finite and ≥ 0");
  const K = sigma.length;
  const maxIter = opts.maxIter ?? 200;
  const tol = opts.tol ?? 1e-8;
  const lambda0 = opts.nullPenalty ?? 1;
  const nullIdx = sigma.indexOf(0);
  const L = logLik(betaHat, s, sigma);
  const mx = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) m = Math.max(m, L[g * K + k]!);
    mx[g] = m;
  }
  const E = L.map((v, i) => Math.exp(v - mx[Math.floor(i / K)]!));
  let w = new Float64Array(K).fill(1 / K);
  const gamma = new Float64Array(G * K);
  let prev = Number.NEGATIVE_INFINITY;
  let ll = Number.NEGATIVE_INFINITY;
  let it = 0;
  const penalty = (ws: Float64Array) =>
    nullIdx >= 0 && lambda0 !== 1 ? (lambda0 - 1) * Math.log(ws[nullIdx]!) : 0;
  for (it = 1; it <= maxIter; it++) {
    ll = 0;
    const acc = new Float64Array(K);
    for (let g = 0; g < G; g++) {
      let t = 0;
      for (let k = 0; k < K; k++) t += w[k]! * E[g * K + k]!;
      ll += mx[g]! + Math.log(t);
      for (let k = 0; k < K; k++) {
        const r = (w[k]! * E[g * K + k]!) / t;
        gamma[g * K + k] = r;
        acc[k]! += r;
      }
    }
    ll += penalty(w);
    if (Math.abs(ll - prev) < tol) break;
    prev = ll;
    if (nullIdx >= 0) acc[nullIdx]! += lambda0 - 1;
    const next = acc.map((v) => Math.max(v, 1e-15));
    const tot = next.reduce((a, b) => a + b, 0);
    w = next.map((v) => v / tot);
  }
  // responsibilities under the final weights
  for (let g = 0; g < G; g++) {
    let t = 0;
    for (let k = 0; k < K; k++) t += w[k]! * E[g * K + k]!;
    for (let k = 0; k < K; k++) gamma[g * K + k] = (w[k]! * E[g * K + k]!) / t;
  }
  return {
    sigma,
    weights: w,
    nullProportion: nullIdx >= 0 ? w[nullIdx]! : 0,
    logLikelihood: ll,
    iterations: Math.min(it, maxIter),
    responsibilities: gamma,
  };
}

/**
 * The shrunk posterior of Δ: per gene a mixture over the grid of N(m_gk, v_gk) with
 * m = σ²/(σ²+s²)·Δ̂ and v = σ²s²/(σ²+s²) (σ = 0: the atom at 0). Contrasts (gene sets) are
 * answered by the unshrunk posterior the shrinkage started from, since the prior says nothing
 * about correlations between genes.
 */
export class ShrinkagePosterior implements DeltaPosterior {
  readonly method = "shrinkage" as const;
  readonly names: readonly string[];
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly probPositive: Float64Array;
  readonly probNegative: Float64Array;
  /** The fitted prior. */
  readonly fit: ShrinkageFit;
  private readonly m: Float64Array;
  private readonly sdk: Float64Array;
  private readonly source: DeltaPosterior;

  constructor(source: DeltaPosterior, opts: ShrinkageOptions = {}) {
    this.source = source;
    this.names = source.names;
    const bh = source.mean;
    const s = source.sd;
    this.fit = ashShrinkage(bh, s, opts);
    const { sigma, responsibilities: gam } = this.fit;
    const G = bh.length;
    const K = sigma.length;
    this.m = new Float64Array(G * K);
    this.sdk = new Float64Array(G * K);
    this.mean = new Float64Array(G);
    this.sd = new Float64Array(G);
    this.probPositive = new Float64Array(G);
    this.probNegative = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      const s2 = Math.max(s[g]!, 1e-30) ** 2;
      let mean = 0;
      let second = 0;
      let pp = 0;
      let pn = 0;
      for (let k = 0; k < K; k++) {
        const sig2 = sigma[k]! ** 2;
        const mk = (sig2 / (sig2 + s2)) * bh[g]!;
        const vk = (sig2 * s2) / (sig2 + s2);
        const i = g * K + k;
        this.m[i] = mk;
        this.sdk[i] = Math.sqrt(vk);
        const r = gam[i]!;
        mean += r * mk;
        second += r * (vk + mk * mk);
        if (vk > 0) {
          const z = mk / Math.sqrt(vk);
          pp += r * normalCdf(z);
          pn += r * normalCdf(-z);
        }
      }
      this.mean[g] = mean;
      this.sd[g] = Math.sqrt(Math.max(0, second - mean * mean));
      this.probPositive[g] = pp;
      this.probNegative[g] = pn;
    }
  }

  tails(tau: number): Tails {
    checkTau(tau);
    const G = this.names.length;
    const K = this.fit.sigma.length;
    const gam = this.fit.responsibilities;
    const up = new Float64Array(G);
    const down = new Float64Array(G);
    for (let g = 0; g < G; g++)
      for (let k = 0; k < K; k++) {
        const i = g * K + k;
        const sd = this.sdk[i]!;
        if (sd === 0) continue; // the atom at 0 is never beyond ±τ (τ ≥ 0)
        up[g]! += gam[i]! * normalCdf((this.m[i]! - tau) / sd);
        down[g]! += gam[i]! * normalCdf((-tau - this.m[i]!) / sd);
      }
    return { up, down };
  }

  contrast(c: Float64Array): ScalarPosterior {
    return this.source.contrast(c);
  }
}
