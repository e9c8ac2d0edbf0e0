/**
 * VAE inference for the SCRIBE NB models (SCRIBE VAE) and the logistic-normal families
 * pln, nbln, lnm (SCRIBE logistic-normal families): `fit(counts, { inferenceMethod: "vae" })`.
 * @module
 */
export { type DecodedCells, decodeCells } from "./decode.js";
export { fitVae, type VaeFitOutcome } from "./fit-vae.js";
export {
  heldOutElboUnavailable,
  MIN_CELLS_FOR_VALIDATION,
  type ResolvedValidation,
  resolveValidation,
  runWithValidation,
  splitCells,
  VALIDATION_DEFAULTS,
  type VaeValidationOptions,
  type ValidationRecord,
} from "./held-out.js";
export { AnnealedOptimizer, AnnealedRuleOptimizer, annealOptimizer, KlAnnealing } from "./kl-annealing.js";
export { flowLatentPrior, LATENT_PRIOR_FLOW } from "./latent-flow-prior.js";
export {
  type DecodedLogNormalCells,
  decodeLogNormalCells,
  isLogNormalVaeModel,
  LOG_D,
  LOG_NORMAL_DECODER,
  LOG_NORMAL_VAE_MODELS,
  LOG_R,
  LogNormalCountsLikelihood,
  type LogNormalVaeFamily,
  type LogNormalVaeModel,
  latentStart,
  logNormalVaeFamily,
  observationData,
} from "./log-normal-family.js";
export { moduleParams, type VaeNetworks, vaeNetworks } from "./networks.js";
export {
  type DecoderForm,
  type LatentPriorFactory,
  type ResolvedVaeOptions,
  resolveVaeOptions,
  VAE_DEFAULTS,
  type VaeFitOptions,
  type VaeInputTransform,
  type VaeOptions,
} from "./options.js";
export {
  buildVaeGuide,
  buildVaeModel,
  encode,
  encodeInput,
  LOG_THETA,
  type PrecomputedEncoderInput,
  standardLatentPrior,
} from "./vae-model.js";
export { ScribeVAEResults, type VaeResultsInit } from "./vae-results.js";
export {
  decoderBias,
  encoderInput,
  type GeneStats,
  geneStats,
  makeLogNormalVaeSpec,
  makeVaeSpec,
  VAE_MODELS,
  type VaeSpec,
} from "./vae-spec.js";
