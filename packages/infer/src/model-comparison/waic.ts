/**
 * The widely applicable information criterion (Watanabe 2010; Vehtari, Gelman and Gabry
 * 2017, §2.2), as R `loo::waic()`.
 * @module
 */
import { type Estimate, estimate } from "./estimates.js";
import { column, type LogLikInput, logSumExp, toLogLikMatrix, variance } from "./log-lik-matrix.js";

/** WAIC estimates and pointwise values. */
export interface WaicResult {
  /** Σ_i (lpd_i − p_waic,i) and its SE. */
  readonly elpdWaic: Estimate;
  /** Effective number of parameters Σ_i var_s ℓ_si and its SE. */
  readonly pWaic: Estimate;
  /** −2·elpd_waic and its SE. */
  readonly waic: Estimate;
  /** Per observation. */
  readonly pointwise: {
    readonly elpdWaic: Float64Array;
    readonly pWaic: Float64Array;
    readonly waic: Float64Array;
  };
  /** Observations with p_waic,i > 0.4, where WAIC is unreliable (`loo`'s warning). */
  readonly nLargePWaic: number;
}

/** Options of {@link waic}. */
export interface WaicOptions {
  /**
   * Divisor of the posterior variance: S − ddof (default 1, as `loo`; SCRIBE's
   * `compare_models` uses 0, which is S/(S−1) times smaller).
   */
  ddof?: 0 | 1;
}

/**
 * WAIC of a draws × observations log-likelihood matrix: lpd_i = log mean_s exp ℓ_si,
 * p_waic,i = var_s ℓ_si (the variance form, p_waic2), elpd_waic,i = lpd_i − p_waic,i,
 * waic = −2·elpd_waic; SEs √(n · var_i).
 * @example
 * waic([[-1.2, -0.8], [-1.0, -0.9], [-1.1, -0.7]]).elpdWaic.estimate;
 */
export function waic(ll: LogLikInput, opts: WaicOptions = {}): WaicResult {
  const m = toLogLikMatrix(ll, "waic");
  const { nDraws: S, nObs: n } = m;
  const ddof = opts.ddof ?? 1;
  const elpd = new Float64Array(n);
  const p = new Float64Array(n);
  const w = new Float64Array(n);
  let nLarge = 0;
  for (let i = 0; i < n; i++) {
    const li = column(m, i);
    const lpd = logSumExp(li) - Math.log(S);
    p[i] = (variance(li) * (S - 1)) / (S - ddof);
    elpd[i] = lpd - p[i]!;
    w[i] = -2 * elpd[i]!;
    if (p[i]! > 0.4) nLarge++;
  }
  return {
    elpdWaic: estimate(elpd),
    pWaic: estimate(p),
    waic: estimate(w),
    pointwise: { elpdWaic: elpd, pWaic: p, waic: w },
    nLargePWaic: nLarge,
  };
}
