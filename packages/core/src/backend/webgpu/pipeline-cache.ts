/// <reference types="@webgpu/types" />
import { debugEnv } from "../../runtime/debug-env.js";

/** How a shader binds each buffer, in binding order. */
export type BindingKind = "uniform" | "read" | "write";

/** Compiled compute pipelines keyed by WGSL source (one compile per distinct kernel structure). */
export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #cache = new Map<string, GPUComputePipeline>();

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  get size(): number {
    return this.#cache.size;
  }

  /** The pipeline for `source`, whose bindings (group 0) are `kinds` in order. */
  get(source: string, kinds: readonly BindingKind[]): GPUComputePipeline {
    const key = `${kinds.join(",")}\n${source}`;
    let p = this.#cache.get(key);
    if (!p) {
      const d = this.#device;
      const t0 = performance.now();
      const layout = d.createBindGroupLayout({
        entries: kinds.map((k, i) => ({
          binding: i,
          visibility: 4 /* GPUShaderStage.COMPUTE */,
          buffer: { type: k === "uniform" ? "uniform" : k === "read" ? "read-only-storage" : "storage" },
        })),
      });
      // WebGPU reports shader errors asynchronously and the kernel then silently writes
      // nothing: surface them on the console with the offending source line.
      d.pushErrorScope("validation");
      const module = d.createShaderModule({ code: source });
      p = d.createComputePipeline({
        layout: d.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: "main" },
      });
      void d.popErrorScope().then((err) => {
        if (err) console.error(`scribe webgpu: a generated shader failed to compile: ${err.message}`);
      });
      this.#cache.set(key, p);
      // SCRIBE_DEBUG_WEBGPU_PIPELINES=1 logs each compile (time, size, library functions) to
      // stderr, =source adds the WGSL: which shaders cost SwiftShader the most
      const debug = debugEnv("SCRIBE_DEBUG_WEBGPU_PIPELINES");
      if (debug) {
        const ms = performance.now() - t0;
        const fns = [...source.matchAll(/^fn (\w+)/gm)].map((m) => m[1]).join(" ");
        const head = `scribe webgpu pipeline #${this.#cache.size}: ${ms.toFixed(0)} ms, ${source.length} chars, fns ${fns}`;
        console.error(debug === "source" ? `${head}\n${source}\n-- end pipeline` : head);
      }
    }
    return p;
  }
}
