/**
 * Discrete latent variables summed out exactly: contraction of enumerated traces (with
 * plates and enumerated `scan`s), `enumLogDensity`, and `inferDiscrete`.
 * @module
 */
export { type ContractionPlate, type ContractOptions, contractFactors, type Factor } from "./contract.js";
export {
  contractTrace,
  type EnumLogDensityOptions,
  enumLogDensity,
  guessMaxPlateNesting,
  marginalizedModel,
  wantsEnumeration,
} from "./enum-log-density.js";
export { hasEnumeratedSites, maxPlateNestingOf, type TraceFactors, traceFactors } from "./factors.js";
export { guideEnumElbo, guideWantsEnumeration } from "./guide-enum.js";
export { type InferDiscreteOptions, inferDiscrete } from "./infer-discrete.js";
