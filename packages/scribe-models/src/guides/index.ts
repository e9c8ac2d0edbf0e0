/**
 * Guides of the SCRIBE models: mean-field, low-rank gene parameter, amortized capture.
 * @module
 */
export * from "./amortized-capture.js";
export * from "./factors.js";
export * from "./guide.js";
