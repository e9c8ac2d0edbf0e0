/**
 * Relative efficiency r_eff of a fit's draws for PSIS-LOO (Vehtari, Gelman and Gabry 2017,
 * §3.1; R `loo::relative_eff`): MCMC draws are autocorrelated, so each cell's importance
 * ratios carry less information than S independent draws, which sets PSIS's tail length
 * 3·√(S / r_eff) and the Monte Carlo error of elpd_loo. SVI draws are independent
 * (r_eff = 1). MCMC results hold their chains one after another (`mcmc.getSamples()`), with
 * the chain count in `meta.numChains` (1 when absent).
 * @module
 */
import { type LogLikMatrix, relativeEff } from "@scribe/infer";
import type { ScribeResults } from "../results/results.js";

/**
 * Chains of a fit's stored draws: `meta.numChains` of MCMC results (1 when absent), null for
 * SVI results (independent draws).
 */
export function fitChainCount(res: ScribeResults): number | null {
  if (res.inferenceMethod !== "mcmc" || !res.mcmcSamples) return null;
  const n = res.meta.numChains;
  if (n === undefined) return 1;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1)
    throw new Error(`fit meta.numChains must be a positive integer, got ${JSON.stringify(n)}`);
  return n;
}

/**
 * r_eff per observation of a fit's pointwise log-likelihood [S, n] (S the stored draws in
 * their order): `relativeEff` over its chains for MCMC results, null (r_eff = 1) for SVI.
 * @example
 * const { perCell } = await pointwiseLogLikelihoods(mcmcResults, counts);
 * psisLoo(perCell, { rEff: fitRelativeEff(mcmcResults, perCell) ?? 1 });
 */
export function fitRelativeEff(res: ScribeResults, ll: LogLikMatrix): Float64Array | null {
  const nChains = fitChainCount(res);
  if (nChains === null) return null;
  if (ll.nDraws % nChains !== 0)
    throw new Error(
      `fitRelativeEff: ${ll.nDraws} draws do not split into meta.numChains = ${nChains} equally long chains`,
    );
  return relativeEff(ll, { nChains });
}
