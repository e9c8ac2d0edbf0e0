/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend. `createWebGpuBackend(gpu)` requests an adapter and device from `gpu`
 * (default `navigator.gpu`); `useBackend("webgpu")` does this lazily.
 * @module
 */
import { acquireDevice } from "./device.js";
import { WebGpuBackend } from "./webgpu-backend.js";

export { acquireDevice, type GpuContext, navigatorGpu } from "./device.js";
export { GPU_SAMPLERS } from "./random-kernels.js";
export { WebGpuBackend } from "./webgpu-backend.js";

/** A WebGPU backend on a device from `gpu` (default: `navigator.gpu`); throws naming what to install when none. */
export async function createWebGpuBackend(gpu?: GPU): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquireDevice(gpu));
}
