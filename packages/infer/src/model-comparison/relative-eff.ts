/**
 * Relative efficiency of MCMC draws for PSIS (Vehtari, Gelman and Gabry 2017, §3.1): the
 * effective sample size of exp(ℓ_i) over the chains divided by the number of draws, per
 * observation, as R `loo::relative_eff()` (its `ess_rfun`: Geyer's initial positive and
 * monotone sequences on the multi-chain autocorrelations, without splitting or ranks).
 * @module
 */
import { autocovariance } from "../diagnostics/autocorrelation.js";
import { column, type LogLikInput, toLogLikMatrix } from "./log-lik-matrix.js";

/** Options of {@link relativeEff}. */
export interface RelativeEffOptions {
  /**
   * Number of chains: the rows are the chains' draws one chain after another (chain 0's
   * draws first), each chain equally long (default 1). `chainIds` instead names each row's chain.
   */
  nChains?: number;
  /** Chain of each row (1-based or 0-based labels; rows of a chain in draw order). */
  chainIds?: ArrayLike<number>;
}

/**
 * r_eff per observation from a draws × observations log-likelihood matrix. ESS is computed
 * for exp(ℓ_si − max_s ℓ_si): the shift leaves the ESS unchanged and keeps per-cell
 * log-likelihoods of −10³ from underflowing (where `loo` on exp(ℓ) would give NaN).
 * @example
 * const ll = [[-1.2, -0.8, -2.0], [-1.0, -0.9, -2.4], [-1.1, -0.7, -1.9], [-1.3, -0.8, -2.1]];
 * const rEff = relativeEff(ll, { nChains: 2 }); // then psisLoo(ll, { rEff })
 */
export function relativeEff(ll: LogLikInput, opts: RelativeEffOptions = {}): Float64Array {
  const m = toLogLikMatrix(ll, "relativeEff");
  const S = m.nDraws;
  const rowsByChain = chainRows(S, opts);
  const out = new Float64Array(m.nObs);
  for (let i = 0; i < m.nObs; i++) {
    const x = column(m, i);
    let mx = Number.NEGATIVE_INFINITY;
    for (const v of x) mx = Math.max(mx, v);
    const chains = rowsByChain.map((rows) => Float64Array.from(rows, (s) => Math.exp(x[s]! - mx)));
    out[i] = essLoo(chains) / S;
  }
  return out;
}

function chainRows(S: number, opts: RelativeEffOptions): number[][] {
  if (opts.chainIds) {
    if (opts.chainIds.length !== S)
      throw new Error(`relativeEff: chainIds has ${opts.chainIds.length} entries for ${S} draws`);
    const groups = new Map<number, number[]>();
    for (let s = 0; s < S; s++) {
      const c = opts.chainIds[s]!;
      if (!groups.has(c)) groups.set(c, []);
      groups.get(c)!.push(s);
    }
    const chains = [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
    const n = chains[0]!.length;
    if (chains.some((c) => c.length !== n))
      throw new Error(
        `relativeEff: chains differ in length (${chains.map((c) => c.length).join(", ")}); they must be equally long`,
      );
    return chains;
  }
  const nChains = opts.nChains ?? 1;
  if (!Number.isInteger(nChains) || nChains < 1 || S % nChains !== 0)
    throw new Error(`relativeEff: ${S} draws do not split into ${nChains} equally long chains`);
  const n = S / nChains;
  return Array.from({ length: nChains }, (_, c) => Array.from({ length: n }, (_, t) => c * n + t));
}

/** Smallest size ≥ n of the form 2^a 3^b 5^c (`loo`'s `fft_next_good_size`; 2 for n ≤ 2). */
function nextGoodSize(n: number): number {
  if (n <= 2) return 2;
  for (let N = n; ; N++) {
    let m = N;
    while (m % 2 === 0) m /= 2;
    while (m % 3 === 0) m /= 3;
    while (m % 5 === 0) m /= 5;
    if (m <= 1) return N;
  }
}

/** `loo`'s `ess_rfun` on equally long chains (see the module comment). */
function essLoo(chains: Float64Array[]): number {
  const m = chains.length;
  const n = chains[0]!.length;
  // `loo`'s autocovariance is the biased one times M/n, M its FFT length / 2; the factor
  // matters with several chains (it scales the within- but not the between-chain variance).
  const scale = nextGoodSize(n) / n;
  const acov = chains.map((c) => autocovariance(c).map((v) => v * scale));
  const means = chains.map((c) => c.reduce((a, b) => a + b, 0) / n);
  let meanVar = 0;
  for (const g of acov) meanVar += g[0]!;
  meanVar = ((meanVar / m) * n) / (n - 1);
  let varPlus = (meanVar * (n - 1)) / n;
  if (m > 1) {
    const mm = means.reduce((a, b) => a + b, 0) / m;
    varPlus += means.reduce((a, b) => a + (b - mm) ** 2, 0) / (m - 1);
  }
  const meanAcov = (t: number): number => acov.reduce((a, g) => a + g[t]!, 0) / m;
  const rho = new Float64Array(n);
  let t = 0;
  let rhoEven = 1;
  rho[0] = rhoEven;
  let rhoOdd = 1 - (meanVar - meanAcov(1)) / varPlus;
  rho[1] = rhoOdd;
  while (t < n - 5 && !Number.isNaN(rhoEven + rhoOdd) && rhoEven + rhoOdd > 0) {
    t += 2;
    rhoEven = 1 - (meanVar - meanAcov(t)) / varPlus;
    rhoOdd = 1 - (meanVar - meanAcov(t + 1)) / varPlus;
    if (rhoEven + rhoOdd >= 0) {
      rho[t] = rhoEven;
      rho[t + 1] = rhoOdd;
    }
  }
  const maxT = t;
  if (rhoEven > 0) rho[maxT] = rhoEven;
  t = 0;
  while (t <= maxT - 4) {
    t += 2;
    if (rho[t]! + rho[t + 1]! > rho[t - 2]! + rho[t - 1]!) {
      rho[t] = (rho[t - 2]! + rho[t - 1]!) / 2;
      rho[t + 1] = rho[t]!;
    }
  }
  // R's rho_hat_t[1:max_t] is rho_hat_t[1] alone when max_t = 0
  let sum = 0;
  for (let j = 0; j < Math.max(maxT, 1); j++) sum += rho[j]!;
  const ess = m * n;
  const tau = Math.max(-1 + 2 * sum + rho[maxT]!, 1 / Math.log10(ess));
  return ess / tau;
}
