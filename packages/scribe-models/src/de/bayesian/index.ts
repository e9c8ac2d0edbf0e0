/**
 * Bayesian differential expression from fitted SCRIBE models (SCRIBE `scribe.de`): `compare()`
 * with the empirical, parametric and shrinkage methods, lfsr / PEFP decisions, the biological
 * level, gene-set tests and `compareGroups()`.
 * @module
 */
export {
  type BiologicalLevel,
  type BiologicalOptions,
  type BiologicalStat,
  biologicalLevel,
  gammaJeffreys,
} from "./biological.js";
export { type CompareInput, type CompareOptions, compare } from "./compare.js";
export {
  type CompareGroupsOptions,
  type CompareGroupsResult,
  compareGroups,
  splitByColumn,
} from "./compare-groups.js";
export {
  BayesianComparison,
  type CallOptions,
  type ComparisonRow,
  type ErrorOptions,
  type GeneLevel,
} from "./comparison.js";
export {
  type CompositionOptions,
  LOG_RHO_FLOOR,
  logCompositions,
  resolveComponent,
  resolveGeneMask,
} from "./compositions.js";
export {
  type DeltaPosterior,
  EmpiricalPosterior,
  gaussianScalar,
  type ScalarPosterior,
  sampleScalar,
  type Tails,
} from "./delta-posterior.js";
export {
  type DrawSource,
  drawsSource,
  type ParamBatch,
  type PosteriorDraws,
  resultsSource,
} from "./draw-source.js";
export { checkSameGenes, type EmpiricalOptions, empiricalDelta } from "./empirical.js";
export { findThreshold, lfsrFrom, lfsrTauFrom, pefp } from "./error-control.js";
export { GammaStream } from "./gamma-stream.js";
export {
  type ContrastResult,
  type GeneSetRow,
  type PerturbationOptions,
  testContrast,
  testGeneSet,
  testMultipleGeneSets,
  testPathwayPerturbation,
} from "./gene-sets.js";
export {
  balanceVector,
  clrRow,
  helmertBasis,
  ilrRow,
  interQuartileSet,
  LogRatioPlan,
  type Reference,
} from "./log-ratio.js";
export {
  type ClrMoments,
  clrMoments,
  fitLogisticNormal,
  fitLogisticNormalAlr,
  type LogisticNormalFit,
  type LogisticNormalOptions,
} from "./logistic-normal.js";
export { ParametricPosterior } from "./parametric.js";
export { symmetricEigen, topRightFactors } from "./randomized-svd.js";
export {
  ashShrinkage,
  defaultSigmaGrid,
  mixtureLogLikelihood,
  type ShrinkageFit,
  type ShrinkageOptions,
  ShrinkagePosterior,
} from "./shrinkage.js";
