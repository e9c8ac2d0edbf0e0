/**
 * Scalar float64 special functions of `@scribe/core` (one family per file; every coefficient
 * table is an exported const so it can be interpolated into WGSL).
 */
export * from "./betainc.js";
export * from "./betaln.js";
export * from "./digamma.js";
export * from "./erf.js";
export * from "./gammainc.js";
export * from "./lfactorial.js";
export * from "./lgamma.js";
export * from "./log-ndtr.js";
export * from "./log1p-expm1.js";
export * from "./logsumexp.js";
export * from "./ndtri.js";
export * from "./root-taylor.js";
export * from "./shift-diff.js";
export * from "./softplus.js";
export * from "./trig-pi.js";
export * from "./trigamma.js";
export * from "./xlogy.js";
