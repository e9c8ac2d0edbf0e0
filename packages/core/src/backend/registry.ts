import type { Backend } from "./backend.js";
import { CpuBackend } from "./cpu/cpu-backend.js";

/** Loaders for backends that are not built in; the WebGPU package registers itself here. */
const loaders = new Map<string, () => Promise<Backend>>();
// Browsers and Deno: WebGPU from navigator.gpu (Node's entry replaces this with Dawn).
loaders.set("webgpu", async () => (await import("./webgpu/index.js")).createWebGpuBackend());
const instances = new Map<string, Backend>();
const cpu = new CpuBackend();
instances.set("cpu", cpu);
let current: Backend = cpu;

/** The backend new tensors are created on. */
export function currentBackend(): Backend {
  return current;
}

/** The CPU backend, always available. */
export function cpuBackend(): Backend {
  return cpu;
}

/** Register how to create backend `name` (replacing an earlier loader and a cached instance). */
export function registerBackendLoader(name: string, load: () => Promise<Backend>): void {
  loaders.set(name, load);
  if (name !== "cpu" && instances.get(name) !== current) instances.delete(name);
}

/** The loader registered for backend `name`, if any (to check which one an entry point installed). */
export function backendLoader(name: string): (() => Promise<Backend>) | undefined {
  return loaders.get(name);
}

/**
 * Switch the default backend, e.g. `await useBackend("webgpu")`. Initialization is async
 * because a GPU adapter must be requested; the error names what to install when none exists.
 */
export async function useBackend(name: "cpu" | "webgpu"): Promise<Backend> {
  const b = await useBackendInstance(name);
  current = b;
  return b;
}

/** The backend called `name`, initialized on first use, without making it the default. */
export async function useBackendInstance(name: "cpu" | "webgpu"): Promise<Backend> {
  let b = instances.get(name);
  if (!b) {
    const load = loaders.get(name);
    if (!load)
      throw new Error(
        `backend '${name}' is not available: import its entry point first (for WebGPU in Node: import "@scribe/core/node" and install the 'webgpu' npm package)`,
      );
    b = await load();
    instances.set(name, b);
  }
  return b;
}

/** Run `fn` with `backend` as the default, restoring the previous one afterwards. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const prev = current;
  current = backend;
  try {
    return fn();
  } finally {
    current = prev;
  }
}
