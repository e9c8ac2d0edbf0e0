/**
 * Reparameterizers for core's `reparam` handler.
 * @module
 */
export { LocScaleReparam } from "./loc-scale.js";
export { TransformReparam } from "./transform.js";
