/**
 * Trace-based utilities for inference: log-densities and site plumbing.
 * @module
 */

export { collectDraws, drawAt, numDraws } from "./draws.js";
export {
  computeLogProbs,
  logDensity,
  type SiteLogProbOptions,
  sampleSites,
  siteLogProb,
  traceLogDensity,
} from "./log-density.js";
export {
  type LogLikelihoodOptions,
  logLikelihood,
  pointwiseLogLikelihood,
  potentialEnergy,
} from "./potential.js";
export {
  checkModelGuideMatch,
  constrainParams,
  initialParams,
  latentSites,
  observedSites,
  type ParamSiteInfo,
  paramConstraints,
  paramSites,
  type RunTraceOptions,
  runTrace,
  unconstrainParams,
} from "./sites.js";
