/// <reference types="@webgpu/types" />
/**
 * Node-only: WebGPU through Dawn from the optional `webgpu` npm package.
 * {@link installDawnBackendLoader} (called by the `@scribe/core/node` entry) makes it the loader
 * behind `await useBackend("webgpu")`; the package is loaded only when the backend is first used.
 * Without a GPU, Dawn runs on SwiftShader (see the error message of `acquireDevice`).
 * @module
 */
import { registerBackendLoader } from "../backend/registry.js";
import { createWebGpuBackend, type WebGpuBackend } from "../backend/webgpu/index.js";

/** Dawn's `GPU` object from the `webgpu` package, or an error saying how to install it. */
export async function dawnGpu(): Promise<GPU> {
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = (await import("webgpu")) as unknown as typeof mod;
  } catch (e) {
    throw new Error(
      `WebGPU in Node needs the 'webgpu' package (Dawn): npm install webgpu (${(e as Error).message})`,
    );
  }
  // Dawn's objects expect the WebGPU enums (GPUBufferUsage, ...) as globals.
  for (const [k, v] of Object.entries(mod.globals))
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  return mod.create([]);
}

/** A WebGPU backend on Dawn's default adapter. */
export async function createDawnBackend(): Promise<WebGpuBackend> {
  return createWebGpuBackend(await dawnGpu());
}

let installed = false;

/** Register Dawn as the `"webgpu"` backend loader. Idempotent: later calls keep the loaded instance. */
export function installDawnBackendLoader(): void {
  if (installed) return;
  installed = true;
  registerBackendLoader("webgpu", createDawnBackend);
}
