/**
 * Guides of the SCRIBE models: mean-field, low-rank gene parameter, joint low-rank / coupled parameters, amortized capture, normalizing flows.
 * @module
 */
export * from "./amortized-capture.js";
export * from "./factors.js";
export * from "./flow-guide.js";
export * from "./guide.js";
export * from "./joint.js";
