/**
 * @scribe/models: SCRIBE's single-cell models, NB-GLM differential expression and the
 * method-of-moments test, and data IO (browser-safe parts; `@scribe/models/node` adds files).
 * @packageDocumentation
 */
export * from "./io/index.js";
export * as de from "./de/index.js";
export { adjustBH, momTest, nbFit, nbTest } from "./de/index.js";
