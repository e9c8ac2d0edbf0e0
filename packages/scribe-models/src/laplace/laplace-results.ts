/**
 * What a Laplace-EM fit returns: the globals of the latent Gaussian on the host, the
 * per-cell posterior modes, the Newton diagnostics and the loss history, with accessors in
 * the spirit of SCRIBE's `get_pln_mu/W/d/sigma/correlation`.
 * @module
 */

/** The model families fitted by the Laplace engine. */
export type LaplaceModel = "pln" | "nbln" | "lnm" | "lnmvcp";

/** Newton diagnostics of one E-step. */
export interface NewtonReport {
  /** Steps each cell took in the vectorised pass. */
  readonly iterations: Int32Array;
  /** Cells converged there. */
  readonly converged: number;
  /** Cells sent to the rescue. */
  readonly rescued: number;
  /** Cells unconverged after it. */
  readonly failed: number;
}

/**
 * The negative-binomial model of the LNM totals u_T ~ NB(r_T, p) (NumPyro's probs convention);
 * lnmvcp: u_T,c ~ NB(r_T, p̂_c) with each cell's capture ν_c integrated out (`totals.ts`).
 */
export interface TotalsFit {
  readonly rT: number;
  readonly p: number;
  /** Mean r_T p / (1 − p) (lnmvcp: of a cell with capture 1, before capture). */
  readonly mean: number;
  /**
   * lnmvcp: the capture prior integrated out ("flat": Beta(1, 1), SCRIBE's default, or the
   * biology-informed prior's log M₀ and σ_M); absent for lnm.
   */
  readonly capture?: "flat" | CapturePrior;
}

/**
 * The biology-informed capture prior (SCRIBE capture prior): log M₀ and σ_M, as `priors.organism` /
 * `priors.capture_efficiency` resolve.
 */
export interface CapturePrior {
  readonly logM0: number;
  readonly sigmaM: number;
}

/** Results of a Laplace-EM fit (host arrays, float64, row-major). */
export interface LaplaceResults {
  readonly model: LaplaceModel;
  readonly inferenceMethod: "laplace";
  readonly nCells: number;
  readonly nGenes: number;
  /** Latent dimension G' (G, or G − 1 for the ALR models). */
  readonly latentDim: number;
  readonly rank: number;
  /**
   * Gene index of each latent coordinate (length G'). PLN/NBLN: 0..G−1. LNM: the genes
   * other than the ALR reference, in their original order.
   */
  readonly latentGenes: Int32Array;
  /** LNM: the ALR reference gene's index; −1 otherwise. */
  readonly alrReference: number;
  /** μ [G']. */
  readonly mu: Float64Array;
  /** W [G', rank]. */
  readonly W: Float64Array;
  /** d [G']. */
  readonly d: Float64Array;
  /** NBLN gene dispersions r [G]; null otherwise. */
  readonly r: Float64Array | null;
  /** LNM totals model; null otherwise. */
  readonly totals: TotalsFit | null;
  /** lnmvcp: each cell's posterior mean capture E[ν_c | u_T,c] [C]; absent otherwise. */
  readonly meanCapture?: Float64Array;
  /** Posterior modes x̂ [C, G'] of the last E-step. */
  readonly modes: Float64Array;
  /** Newton diagnostics of the first (cold-start) E-step. */
  readonly firstEStep: NewtonReport;
  /** Newton diagnostics of the last E-step. */
  readonly lastEStep: NewtonReport;
  /** Cells rescued over all E-steps. */
  readonly rescuedTotal: number;
  /** −mean_c (Laplace log marginal of cell c) per outer step. */
  readonly lossHistory: Float64Array;
  /** Outer steps run. */
  readonly steps: number;
  readonly obsNames?: readonly string[];
  readonly varNames?: readonly string[];
}

/**
 * The dense covariance Σ = W Wᵀ + diag(d) [G', G'] (row-major).
 * @example
 * // fragment: `results` of a PLN / NBLN / LNM Laplace fit
 * const sigma = laplaceCovariance(results); // SCRIBE's get_pln_sigma
 */
export function laplaceCovariance(res: Pick<LaplaceResults, "latentDim" | "rank" | "W" | "d">): Float64Array {
  const n = res.latentDim;
  const k = res.rank;
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = i === j ? res.d[i]! : 0;
      for (let a = 0; a < k; a++) s += res.W[i * k + a]! * res.W[j * k + a]!;
      S[i * n + j] = s;
      S[j * n + i] = s;
    }
  return S;
}

/**
 * The correlation matrix of Σ [G', G'] (SCRIBE's get_pln_correlation).
 * @example
 * // fragment: `results` of a PLN / NBLN / LNM Laplace fit
 * const corr = laplaceCorrelation(results);
 */
export function laplaceCorrelation(
  res: Pick<LaplaceResults, "latentDim" | "rank" | "W" | "d">,
): Float64Array {
  const S = laplaceCovariance(res);
  const n = res.latentDim;
  const sd = Float64Array.from({ length: n }, (_, i) => Math.sqrt(S[i * n + i]!));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S[i * n + j] = S[i * n + j]! / (sd[i]! * sd[j]!);
  return S;
}
