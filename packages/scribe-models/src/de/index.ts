/**
 * NB-GLM differential expression (glmGamPoi-style) and the method-of-moments fast
 * path. See docs/SOURCES.md, NB-GLM differential expression for the recipe followed.
 * @module
 */
export { adjustBH } from "./bh.js";
export { type CountMatrix, validateCounts } from "./counts.js";
export {
  buildDesign,
  type Design,
  type DesignSpec,
  designFromConditions,
  designFromMatrix,
  type SampleData,
} from "./design.js";
export { unitDeviance } from "./deviance.js";
export { type NbFit, type NbFitOptions, type NbGenewise, nbFit, nbFitGenewise } from "./fit.js";
export { type FDistPrior, fitFDistMoments, squeezeVar, trigammaInverse } from "./fit-fdist.js";
export { fitGroupLogMean } from "./group-fit.js";
export { irlsFit } from "./irls.js";
export { type MomTable, type MomTestOptions, momTest } from "./mom.js";
export { CR_FACTOR, momentsOverdispersion, overdispersionMle } from "./overdispersion.js";
export { type QlShrinkage, qlDispersions, qlShrinkage } from "./ql-shrinkage.js";
export { type SimulatedData, type SimulateOptions, simulateTwoGroup } from "./simulate.js";
export { estimateSizeFactors, type SizeFactorMethod } from "./size-factors.js";
export { chiSquareUpper, fLogDensity, fUpper, normalTwoSided, tTwoSided } from "./stat-dist.js";
export {
  type Contrast,
  contrastVector,
  type DeTable,
  deTableRows,
  type NbTestOptions,
  nbTest,
} from "./tests.js";
export { locMedianFit, weightedMedian } from "./trend.js";
