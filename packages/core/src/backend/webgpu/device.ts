/// <reference types="@webgpu/types" />
/**
 * Adapter and device acquisition. Browsers and Deno provide `navigator.gpu`; Node gets a
 * `GPU` object from the `webgpu` npm package (Dawn) through the Node-only entry
 * `@scribe/core/node`, which passes it in here. Nothing in this file imports `node:` modules.
 */

/** A device plus the limits the kernels are generated for. */
export interface GpuContext {
  readonly device: GPUDevice;
  /** Storage buffers one shader may bind (fused kernels split above this). */
  readonly maxStorageBuffers: number;
  readonly maxWorkgroupsPerDim: number;
  readonly adapterInfo: string;
  /**
   * The `GPU` object the device came from, held for the device's lifetime: Dawn (the
   * `webgpu` package in Node) frees its instance when this object is garbage collected, and
   * its event pump then locks a freed mutex (seen: SIGSEGV or a futex abort after a few
   * submit/map cycles).
   */
  readonly gpu: GPU;
}

/** The `navigator.gpu` of this runtime, or undefined (Node without the `webgpu` package). */
export function navigatorGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

/**
 * Request an adapter and a device from `gpu` (default: `navigator.gpu`), asking for the
 * adapter's storage-buffer limit. Throws an error saying what to install when there is none.
 */
export async function acquireDevice(gpu: GPU | undefined = navigatorGpu()): Promise<GpuContext> {
  if (!gpu)
    throw new Error(
      "WebGPU backend: no navigator.gpu in this runtime. In Node, install the 'webgpu' package (npm install webgpu) and import \"@scribe/core/node\"; in a browser or Deno, use one with WebGPU enabled.",
    );
  const adapter = await gpu.requestAdapter();
  if (!adapter)
    throw new Error(
      "WebGPU backend: no GPU adapter was found. Without a GPU, Dawn can run on SwiftShader: install Chromium's Vulkan driver (Debian: apt-get install chromium) and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json and XDG_RUNTIME_DIR to an existing directory.",
    );
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
    },
  });
  const info = (adapter as { info?: { vendor?: string; architecture?: string; description?: string } }).info;
  return {
    gpu,
    device,
    maxStorageBuffers: device.limits.maxStorageBuffersPerShaderStage,
    maxWorkgroupsPerDim: device.limits.maxComputeWorkgroupsPerDimension,
    adapterInfo:
      [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unknown adapter",
  };
}
