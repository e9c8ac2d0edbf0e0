/**
 * SCRIBE's models (NB family and two-state promoter): configuration, priors, site specs, parameterizations, the
 * observation distribution, the model builder and the presets.
 * @module
 */
export * from "./annotation.js";
export * from "./beta-negative-binomial.js";
export * from "./capture-scaling.js";
export * from "./config.js";
export * from "./datasets.js";
export * from "./expression-anchor.js";
export * from "./gene-coverage.js";
export * from "./group-levels.js";
export * from "./kl-annealing.js";
export * from "./model.js";
export * from "./observation.js";
export * from "./parameterization.js";
export * from "./presets.js";
export * from "./priors.js";
export * from "./scribe-beta-prime.js";
export * from "./sites.js";
export * from "./transformed-normal.js";
export * from "./two-state.js";
