/**
 * Prior and posterior predictive draws.
 * @module
 */
export { DrawChunks } from "./draw-chunks.js";
export { Predictive, type PredictiveGuide, type PredictiveOptions } from "./predictive.js";
