/**
 * Fused likelihood kernels of `@scribe/distributions`, defined with core's public `defineOp`
 * (see docs/ARCHITECTURE.md, "Adding an op"): count-aware negative binomials and Poisson–Beta.
 */
export { NB_DIRECT_MAX, NB_THETA_RANGE } from "./count-shift.js";
export {
  type Nb2Outputs,
  nb2InSupportLogProb,
  nb2InSupportOp,
  nb2InSupportPartials,
  nb2LogProb,
  nb2Op,
  nb2Partials,
  nbLogitsLogProb,
  nbLogitsOp,
  nbLogitsPartials,
  nbProbsLogProb,
  nbProbsOp,
  nbProbsPartials,
  zinbProbsLogProb,
  zinbProbsOp,
  zinbProbsPartials,
} from "./negative-binomial.js";
export { poissonBetaLogProb, poissonBetaOp } from "./poisson-beta.js";
export {
  type PoissonBetaOutputs,
  poissonBetaLogIntegral,
  poissonBetaLogPmf,
  poissonBetaPartials,
  poissonBetaPieceSizes,
} from "./poisson-beta-rule.js";
export { zinb2LogitsLogProb, zinb2LogProb } from "./zinb2.js";
