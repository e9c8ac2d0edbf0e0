/**
 * `@scribe/core/node`: everything in `@scribe/core`, plus what only Node can do — worker
 * threads for large CPU kernels.
 * @packageDocumentation
 */
import { installDawnBackendLoader } from "./webgpu.js";

// Explicit wiring: `useBackend("webgpu")` runs on Dawn in Node (idempotent).
installDawnBackendLoader();

export { toBackend } from "../backend/transfer.js";
export { createWebGpuBackend, WebGpuBackend } from "../backend/webgpu/index.js";
export * from "../index.js";
export { disableThreads, enableThreads, parallelLoopCount } from "./thread-pool.js";
export { createDawnBackend, dawnGpu, installDawnBackendLoader } from "./webgpu.js";
