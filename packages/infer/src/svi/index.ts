/**
 * Stochastic variational inference.
 * @module
 */
export { deserializeSVIState, type LoadedCheckpoint, serializeSVIState } from "./checkpoint.js";
export { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping.js";
export { type ELBOLoss, type ELBOOptions, TraceELBO, TraceMeanFieldELBO, traceParticle } from "./elbo.js";
export { formatDuration, type ProgressBarOptions, SVIProgressBar } from "./progress-bar.js";
export {
  type GuideLike,
  SVI,
  type SVICheckpointOptions,
  type SVIRunOptions,
  type SVIRunResult,
  type SVIState,
} from "./svi.js";
