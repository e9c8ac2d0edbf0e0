/**
 * MCMC: HMC and NUTS kernels on flat float64 parameters, warmup adaptation, and the
 * MCMC driver.
 * @module
 */
export {
  type AdaptWindow,
  buildAdaptationSchedule,
  DualAveraging,
  type DualAveragingOptions,
  findReasonableStepSize,
  findReasonableStepSizeSteps,
} from "./adaptation.js";
export {
  ChainSampler,
  type ChainState,
  chainRngState,
  findValidInitSteps,
  type HMCSettings,
  remainingWarmup,
  type StepRecord,
  type TrajectoryRule,
  type WarmupState,
} from "./chain.js";
export {
  type Evaluations,
  evaluate,
  evaluateAsync,
  evaluateSync,
  type PotentialAccess,
} from "./evaluations.js";
export { EventLoopPacer, yieldToEventLoop } from "./event-loop.js";
export {
  copyPhasePoint,
  hamiltonian,
  leapfrog,
  leapfrogClose,
  leapfrogOpen,
  leapfrogSteps,
  newPhasePoint,
  type PhasePoint,
} from "./integrator.js";
export {
  HMC,
  type HMCOptions,
  type KernelOptions,
  type MCMCKernel,
  type ModelFn,
  NUTS,
  type NUTSOptions,
} from "./kernels.js";
export { choleskyLower, kineticEnergy, MassMatrix, Welford, type WelfordState } from "./mass-matrix.js";
export {
  type KernelModuleSpec,
  MCMC,
  type MCMCOptions,
  type MCMCState,
  type RunOptions,
  type SummaryOptions,
  type WarmupOptions,
} from "./mcmc.js";
export {
  checkpointRange,
  hmcTransition,
  hmcTransitionSteps,
  isTurning,
  type NutsSettings,
  NutsWorkspace,
  nutsTransition,
  nutsTransitionSteps,
  popcount,
  type TransitionInfo,
  type TransitionSettings,
} from "./nuts-tree.js";
export {
  type AsyncPotentialGradFn,
  type PotentialFn,
  type PotentialGradFn,
  tensorPotentialAsync,
} from "./potential-fn.js";
export type { ProgressCallback, ProgressInfo } from "./progress.js";
export { keyFromPlain, RngStream, type RngStreamState } from "./rng-stream.js";
export {
  type ChainControl,
  type ChainResult,
  EXTRA_FIELDS,
  type ExtraField,
  runChain,
  siteValuesOfAsync,
} from "./run-chain.js";
export { type OutputSite, potentialSetup, randomBox, type SamplerSetup } from "./setup.js";
