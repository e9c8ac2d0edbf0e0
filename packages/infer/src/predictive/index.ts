/**
 * Prior and posterior predictive draws.
 * @module
 */
export { Predictive, type PredictiveGuide, type PredictiveOptions } from "./predictive.js";
