/**
 * Fused likelihood kernels of `@scribe/distributions`, defined with core's public `defineOp`
 * (see docs/ARCHITECTURE.md, "Adding an op"): count-aware negative binomials and Poisson–Beta.
 */
export { NB_DIRECT_MAX, NB_THETA_RANGE } from "./count-shift.js";
export {
  nb2InSupportInto,
  nb2InSupportLogProb,
  nb2InSupportOp,
  nb2Into,
  nb2LogProb,
  nb2Op,
  nbLogitsInto,
  nbLogitsLogProb,
  nbLogitsOp,
  nbProbsInto,
  nbProbsLogProb,
  nbProbsOp,
  zinbProbsInto,
  zinbProbsLogProb,
  zinbProbsOp,
} from "./negative-binomial.js";
export { poissonBetaLogProb, poissonBetaOp } from "./poisson-beta.js";
export {
  poissonBetaInto,
  poissonBetaLogIntegral,
  poissonBetaLogPmf,
  poissonBetaPieceSizes,
} from "./poisson-beta-rule.js";
export { zinb2LogitsLogProb, zinb2LogProb } from "./zinb2.js";
