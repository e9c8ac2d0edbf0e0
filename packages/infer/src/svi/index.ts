/**
 * Stochastic variational inference.
 * @module
 */
export { deserializeSVIState, type LoadedCheckpoint, serializeSVIState } from "./checkpoint.js";
export { setCompiledSVISteps, setCompiledSVIUpdates } from "./compiled-step.js";
export { EarlyStopping, type EarlyStoppingOptions, type EarlyStoppingRecord } from "./early-stopping.js";
export {
  type ELBOLoss,
  type ELBOOptions,
  PARTICLE_PLATE,
  TraceELBO,
  TraceMeanFieldELBO,
  traceParticle,
} from "./elbo.js";
export { describeStatus, nonFiniteSites, SVINonFiniteError, stepStatus } from "./non-finite.js";
export { formatDuration, type ProgressBarOptions, SVIProgressBar } from "./progress-bar.js";
export { type GuideLike, SVI, type SVIOptions, type SVIStepResult } from "./svi.js";
export type {
  SVICheckpointOptions,
  SVIProgress,
  SVIRunHistory,
  SVIRunOptions,
  SVIRunResult,
  SVISnapshot,
  SVIState,
} from "./svi-types.js";
export { TraceEnumELBO, type TraceEnumELBOOptions } from "./trace-enum-elbo.js";
