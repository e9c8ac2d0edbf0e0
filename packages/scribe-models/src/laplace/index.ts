/**
 * Laplace-EM for the latent-Gaussian count models PLN, NBLN, LNM and LNMVCP
 * (SCRIBE Laplace-EM): `fit(counts, { inferenceMethod: "laplace", model })`.
 * @module
 */
export { alrLatentGenes, selectAlrReference } from "./alr-reference.js";
export { fitLaplace, type LaplaceFitOptions, type LaplaceFitOutcome } from "./fit-laplace.js";
export { type LaplaceStart, laplaceStart } from "./laplace-init.js";
export {
  type LaplaceModel,
  type LaplaceResults,
  laplaceCorrelation,
  laplaceCovariance,
  type NewtonReport,
  type TotalsFit,
} from "./laplace-results.js";
export {
  type LogOffsetOption,
  libraryMeanOf,
  logLibraryOffset,
  logLibraryOffsetOf,
  resolveLogOffset,
} from "./log-offset.js";
export { type LaplaceLogisticNormalOptions, laplaceLogisticNormal } from "./logistic-normal.js";
export { type EStepResult, type NewtonOptions, newtonEStep } from "./newton.js";
export { type LaplaceContext, laplaceLogMarginal } from "./newton-system.js";
export {
  multinomialAlrObservation,
  negativeBinomialObservation,
  type ObservationModel,
  poissonObservation,
} from "./observation.js";
export {
  CASCADE_SVI_STEPS,
  cascadeStart,
  type LaplaceInit,
  latentMoments,
  type NbdmFitView,
  type NbSummary,
  type NbSviFitter,
  nbSummaryOf,
} from "./svi-cascade.js";
export {
  type CapturedTotalsFit,
  fitCapturedTotals,
  fitTotals,
  lnmvcpCapturePrior,
  logCapturedTotal,
} from "./totals.js";
