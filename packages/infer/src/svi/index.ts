/**
 * Stochastic variational inference.
 * @module
 */
export { type ELBOLoss, type ELBOOptions, TraceELBO, TraceMeanFieldELBO, traceParticle } from "./elbo.js";
export { type GuideLike, SVI, type SVIRunOptions, type SVIRunResult, type SVIState } from "./svi.js";
