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
} from "./adaptation.js";
export {
  ChainSampler,
  type ChainState,
  chainRngState,
  findValidInit,
  type HMCSettings,
  type StepRecord,
  type TrajectoryRule,
} from "./chain.js";
export { copyPhasePoint, hamiltonian, leapfrog, newPhasePoint, type PhasePoint } from "./integrator.js";
export {
  HMC,
  type HMCOptions,
  type KernelOptions,
  type MCMCKernel,
  type ModelFn,
  NUTS,
  type NUTSOptions,
  registerModelSetup,
} from "./kernels.js";
export { choleskyLower, kineticEnergy, MassMatrix, Welford } from "./mass-matrix.js";
export {
  type KernelModuleSpec,
  MCMC,
  type MCMCOptions,
  type MCMCState,
  type RunOptions,
} from "./mcmc.js";
export {
  checkpointRange,
  hmcTransition,
  isTurning,
  type NutsSettings,
  NutsWorkspace,
  nutsTransition,
  popcount,
  type TransitionInfo,
} from "./nuts-tree.js";
export { type PotentialFn, type PotentialGradFn, tensorPotential } from "./potential-fn.js";
export type { ProgressCallback, ProgressInfo } from "./progress.js";
export { keyFromPlain, RngStream, type RngStreamState } from "./rng-stream.js";
export { type ChainResult, EXTRA_FIELDS, type ExtraField, runChain, siteValuesOf } from "./run-chain.js";
export { type OutputSite, potentialSetup, randomBox, type SamplerSetup } from "./setup.js";
