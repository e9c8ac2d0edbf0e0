/**
 * Results of SCRIBE fits: posterior samples, MAP, predictive samples, denoising,
 * log-likelihoods, mixtures, slicing and serialization.
 * @module
 */
export * from "./denoise.js";
export * from "./denoise-bnb.js";
export * from "./dirichlet-fit.js";
export * from "./extras.js";
export * from "./log-likelihood.js";
export * from "./map.js";
export * from "./mcmc-map.js";
export * from "./mixture.js";
export * from "./posterior.js";
export * from "./predictive.js";
export * from "./results.js";
export * from "./serialize.js";
export * from "./slice.js";
export * from "./summaries.js";
