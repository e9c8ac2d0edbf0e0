/**
 * Worker-thread entry for parallel chains (Node only): re-creates the kernel from its
 * module, runs one chain and posts the result back.
 * @module
 */
import { parentPort } from "node:worker_threads";
import type { Key } from "@scribe/core";
import type { ChainState, StepRecord } from "./chain.js";
import type { MCMCKernel } from "./kernels.js";
import type { KernelModuleSpec } from "./mcmc.js";
import { type ChainPlan, runChain } from "./run-chain.js";
import { unpackArgs } from "./worker-args.js";

/** The job a worker receives. */
export interface WorkerJob {
  spec: KernelModuleSpec;
  key: Key;
  plan: ChainPlan;
  args: unknown[];
  initParams?: number[];
  progressEvery: number;
  /** Continue from this chain state (no warmup) instead of starting afresh. */
  from?: ChainState;
}

/** Messages a worker sends. */
export type WorkerMessage =
  | { type: "progress"; iteration: number; rec: StepRecord }
  | { type: "done"; result: import("./run-chain.js").ChainResult }
  | { type: "error"; message: string }
  /** Sent once the worker has loaded (what `prewarmWorkers` waits for). */
  | { type: "ready" };

/**
 * The kernel of each spec, made once per worker: a pooled worker runs many jobs, and a
 * kernel is reused across runs as `MCMC` reuses its own (its caches survive).
 */
const kernels = new Map<string, Promise<MCMCKernel>>();

function kernelFor(spec: KernelModuleSpec): Promise<MCMCKernel> {
  const id = JSON.stringify([spec.module, spec.exportName, spec.factoryArgs ?? []]);
  let k = kernels.get(id);
  if (!k) {
    k = loadKernel(spec);
    kernels.set(id, k);
    k.catch(() => kernels.delete(id)); // a failed load is retried by the next job
  }
  return k;
}

let tsxRegistered: Promise<void> | null = null;

/**
 * Import a kernel's module. A TypeScript module (.ts, .mts, .cts) needs tsx: when this worker
 * runs the built library (this file as JavaScript) tsx is registered here first, without the
 * project's tsconfig, so the module's `@scribe/*` imports resolve through node_modules to the
 * same build this worker runs (a tsconfig `paths` entry pointing at the sources would load a
 * second copy of the library). Without tsx installed the error says so. Run from the sources,
 * the worker has tsx registered already (parallel-node.ts).
 */
async function importModule(module: string): Promise<unknown> {
  if (/\.[cm]?ts$/.test(module) && !import.meta.url.endsWith(".ts")) {
    tsxRegistered ??= (async () => {
      const api = "tsx/esm/api"; // a variable: bundlers must not resolve this Node-only dev tool
      const tsx = (await import(api).catch((e: unknown) => {
        throw new Error(
          `parallel MCMC: the kernel module ${module} is TypeScript, which needs tsx in the worker (npm install tsx): ${e instanceof Error ? e.message : String(e)}`,
        );
      })) as { register(options: { tsconfig: false }): void };
      tsx.register({ tsconfig: false });
    })();
    await tsxRegistered;
  }
  return import(module);
}

async function loadKernel(spec: KernelModuleSpec): Promise<MCMCKernel> {
  const mod = (await importModule(spec.module)) as Record<string, unknown>;
  const exp = mod[spec.exportName];
  if (exp === undefined)
    throw new Error(`parallel MCMC: module ${spec.module} has no export '${spec.exportName}'`);
  const k =
    typeof exp === "function" ? (exp as (...a: unknown[]) => unknown)(...(spec.factoryArgs ?? [])) : exp;
  const kernel = (await k) as MCMCKernel;
  if (!kernel || typeof kernel.setup !== "function" || typeof kernel.createChain !== "function")
    throw new Error(
      `parallel MCMC: export '${spec.exportName}' of ${spec.module} is not an MCMC kernel (nor a function returning one)`,
    );
  return kernel;
}

/** Import a kernel's module ahead of the first job (sent by `prewarmWorkers`). */
export interface WorkerPreload {
  readonly preload: KernelModuleSpec;
}

parentPort?.on("message", async (job: WorkerJob | WorkerPreload) => {
  const port = parentPort!;
  if ("preload" in job) {
    try {
      await importModule(job.preload.module); // cached for the jobs' loadKernel
      port.postMessage({ type: "ready" } satisfies WorkerMessage);
    } catch (e) {
      port.postMessage({
        type: "error",
        message: e instanceof Error ? e.message : String(e),
      } satisfies WorkerMessage);
    }
    return;
  }
  try {
    const kernel = await kernelFor(job.spec);
    const setup = kernel.setup(unpackArgs(job.args), job.initParams);
    const total = job.plan.numWarmup + job.plan.numSamples * job.plan.thinning;
    const result = await runChain(
      kernel,
      setup,
      job.key,
      job.plan,
      (it, rec) => {
        if ((it + 1) % job.progressEvery === 0 || it + 1 === total)
          port.postMessage({ type: "progress", iteration: it, rec });
      },
      job.from,
    );
    setup.dispose?.();
    port.postMessage({ type: "done", result } satisfies WorkerMessage, [
      result.positions.buffer as ArrayBuffer,
      result.siteValues.buffer as ArrayBuffer,
      ...Object.values(result.extra).map((a) => a.buffer as ArrayBuffer),
    ]);
  } catch (e) {
    port.postMessage({
      type: "error",
      message: e instanceof Error ? (e.stack ?? e.message) : String(e),
    } satisfies WorkerMessage);
  }
});

// loaded: a pool started ahead of a run (prewarmWorkers in parallel-node.ts) waits for this
parentPort?.postMessage({ type: "ready" } satisfies WorkerMessage);
