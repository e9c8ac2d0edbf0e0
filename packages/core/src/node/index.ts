/**
 * `@scribe/core/node`: everything in `@scribe/core`, plus what only Node can do — worker
 * threads for large CPU kernels.
 * @packageDocumentation
 */
export * from "../index.js";
export { disableThreads, enableThreads, parallelLoopCount } from "./thread-pool.js";
export { createDawnBackend, dawnGpu } from "./webgpu.js";
export { toBackend } from "../backend/transfer.js";
export { WebGpuBackend, createWebGpuBackend } from "../backend/webgpu/index.js";
