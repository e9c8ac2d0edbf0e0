/**
 * The SVI→Laplace cascade (SCRIBE Laplace-EM: SCRIBE warm-starts Laplace-EM
 * from an SVI fit): a short SVI fit of nbdm, the NB family matching the latent-Gaussian
 * models, gives each gene's NB mean m_g = r_g·p/(1 − p) and dispersion r_g (MAP); the
 * latent mean μ starts where the latent-Gaussian law has the same per-gene moments; W and d
 * stay the PCA start's (`laplace-init.ts`). The NB mean uses the odds p/(1 − p) in float64 from
 * the guide's Beta(α, β) on p, as its mean's odds α/β ({@link nbSummaryOf}): after a short fit
 * β can be ≤ 1, where the Beta's mode (the MAP p) is exactly 1 and the odds infinite. The
 * moment matching:
 * - PLN: a lognormal–Poisson count with log-rate N(μ, s) has mean exp(μ + s/2) and variance
 *   m + m²(eˢ − 1); the NB's is m + m²/r, so s_g = log(1 + 1/r_g), μ_g = log m_g − s_g/2
 *   (minus log of the mean of exp(offset) when offsets are given).
 * - NBLN: the NB noise of size r⁰ (the engine's start, 10) takes part of the overdispersion:
 *   (eˢ(1 + 1/r⁰) − 1) = 1/r_g, so s_g = log((1 + 1/r_g)/(1 + 1/r⁰)).
 * - LNM/LNMVCP: nbdm's composition is Dirichlet(r) (the NB–Dirichlet-multinomial
 *   factorisation, SCRIBE models), whose ALR coordinate log(ρ_g/ρ_ref) has mean ψ(r_g) − ψ(r_ref)
 *   and variance ψ′(r_g) + ψ′(r_ref).
 * The per-coordinate variance s is floored at 0.01 and capped at 10 (genes with r → 0). The
 * PCA start's μ is the mean of log1p(u) (or of the ALR of u + ½), biased for low counts
 * (a rate of 0.1 gives mean log1p ≈ 0.07 against log rate −2.3); the matched μ is not.
 * @module
 */
import { specialScalar, type Tensor } from "@scribe/core";
import type { LaplaceStart } from "./laplace-init.js";

/** How Laplace-EM's globals start: PCA of the transformed counts (default) or the SVI cascade. */
export type LaplaceInit = "pca" | "svi";

/** nbdm's point estimates used by the cascade: per-gene r and the shared odds p/(1 − p). */
export interface NbSummary {
  readonly r: Float64Array;
  /** p/(1 − p), in float64 (finite and positive). */
  readonly odds: number;
}

/** What {@link nbSummaryOf} reads from an nbdm SVI fit: its guide params and its MAP (the results' own methods). */
export interface NbdmFitView {
  readonly params: Readonly<Record<string, Tensor>>;
  getMap(): Record<string, Tensor>;
}

/**
 * The cascade's summary of an nbdm SVI fit: the MAP r, and the odds of p in float64 from the
 * guide's Beta(α, β) (`p_alpha`, `p_beta`) as α/β, the odds of its mean α/(α + β); a guide
 * without that factor (an unconstrained logit-normal p, `p_loc`) gives exp(p_loc), the odds of
 * its median. Reads back once per tensor (the cascade runs before the Laplace loop).
 * @example
 * const nb = await nbSummaryOf((await fit(counts, { model: "nbdm", nSteps: 50 })).results);
 */
export async function nbSummaryOf(fitted: NbdmFitView): Promise<NbSummary> {
  const read = async (name: string): Promise<number | null> => {
    const t = fitted.params[name];
    return t ? Number(((await t.data()) as ArrayLike<number>)[0]) : null;
  };
  const [alpha, beta, loc] = await Promise.all([read("p_alpha"), read("p_beta"), read("p_loc")]);
  let odds: number;
  if (alpha !== null && beta !== null) odds = alpha / beta;
  else if (loc !== null) odds = Math.exp(loc);
  else
    throw new Error(
      `laplace (svi init): nbdm's guide has no p_alpha/p_beta or p_loc params (has ${Object.keys(fitted.params).join(", ")})`,
    );
  const r = Float64Array.from((await fitted.getMap().r!.data()) as ArrayLike<number>);
  return { r, odds };
}

/**
 * Runs the short SVI fit of nbdm on the counts and returns its summary ({@link nbSummaryOf});
 * passed in by `fit` (explicit wiring: the Laplace module does not import the SVI driver).
 */
export type NbSviFitter = (
  counts: Tensor,
  options: { nSteps: number; learningRate: number; seed: number },
) => Promise<NbSummary>;

/** Default SVI steps of the cascade's nbdm fit (a full-batch nbdm fit settles in a few hundred). */
export const CASCADE_SVI_STEPS = 1000;

const S_MIN = 0.01;
const S_MAX = 10;
/** NBLN's starting NB size in the engine (log r = log 10). */
export const NBLN_START_R = 10;

const clampS = (s: number) => Math.min(S_MAX, Math.max(S_MIN, Number.isFinite(s) ? s : S_MAX));

/** Per-coordinate latent mean and variance from nbdm's r and odds (module doc). */
export function latentMoments(
  model: "pln" | "nbln" | "lnm" | "lnmvcp",
  nb: NbSummary,
  latentGenes: Int32Array,
  alrReference: number,
  meanExpOffset = 1,
): { mu: Float64Array; s: Float64Array } {
  const n = latentGenes.length;
  const mu = new Float64Array(n);
  const s = new Float64Array(n);
  const odds = nb.odds;
  if (!(odds > 0 && Number.isFinite(odds)))
    throw new Error(`laplace (svi init): nbdm's odds p/(1 − p) must be finite and positive, got ${odds}`);
  const rOf = (g: number) => {
    const r = nb.r[g];
    if (r === undefined || !(r > 0))
      throw new Error(`laplace (svi init): nbdm's r of gene ${g} must be positive, got ${r}`);
    return Math.max(r, 1e-3);
  };
  if (model === "pln" || model === "nbln") {
    for (let i = 0; i < n; i++) {
      const r = rOf(latentGenes[i]!);
      const m = Math.max(r * odds, 1e-4);
      const si = model === "pln" ? Math.log1p(1 / r) : Math.log((1 + 1 / r) / (1 + 1 / NBLN_START_R));
      s[i] = clampS(si);
      mu[i] = Math.log(m) - s[i]! / 2 - Math.log(meanExpOffset);
    }
    return { mu, s };
  }
  const rRef = rOf(alrReference);
  for (let i = 0; i < n; i++) {
    const r = rOf(latentGenes[i]!);
    mu[i] = specialScalar.digamma(r) - specialScalar.digamma(rRef);
    s[i] = clampS(specialScalar.trigamma(r) + specialScalar.trigamma(rRef));
  }
  return { mu, s };
}

/**
 * The cascade's start: μ from {@link latentMoments}, W and d the PCA start's. (Rescaling each
 * gene's W row and d to the matched variance s_g was tried and converged more slowly on a
 * low-count PLN simulation, 300 × 20, rank 2: −log marginal per cell after 60 outer steps
 * 25.649 rescaled, 25.610 PCA's W and d, 25.623 the PCA start alone.)
 * @example
 * const start = cascadeStart(pcaStart, latentMoments("pln", { r, odds }, genes, -1));
 */
export function cascadeStart(pca: LaplaceStart, moments: { mu: Float64Array }): LaplaceStart {
  if (moments.mu.length !== pca.mu.length)
    throw new Error(`laplace (svi init): ${moments.mu.length} latent means for ${pca.mu.length} coordinates`);
  return { mu: Float64Array.from(moments.mu), W: Float64Array.from(pca.W), d: Float64Array.from(pca.d) };
}
