/**
 * Parallel chains on Node worker threads (Node only; loaded by the MCMC driver on demand).
 * Each worker imports the kernel's module, runs one chain and transfers its draws back.
 * @module
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Key } from "@scribe/core";
import type { ChainState, StepRecord } from "./chain.js";
import type { KernelModuleSpec, RunOptions } from "./mcmc.js";
import type { WorkerJob, WorkerMessage, WorkerPreload } from "./parallel-worker.js";
import type { ChainPlan, ChainResult } from "./run-chain.js";
import { packArgs } from "./worker-args.js";

function spawn(): Worker {
  const js = new URL("./parallel-worker.js", import.meta.url);
  if (import.meta.url.endsWith(".ts")) {
    // Development: the sources are TypeScript run through tsx; register it in the worker.
    const ts = new URL("./parallel-worker.ts", import.meta.url);
    const code = `import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(ts.href)}); });`;
    return new Worker(code, { eval: true });
  }
  return new Worker(js);
}

/**
 * Idle workers kept from earlier runs. Starting a worker costs far more than a short run's
 * sampling (it loads the library, through tsx in development: about a second each on a
 * small machine, which made 2 parallel chains of eight schools 4× slower than sequential),
 * so a finished worker waits here, unref'd so it never keeps the process alive, for the
 * next run's chains. A worker that failed or was aborted is terminated instead.
 */
const idleWorkers: Worker[] = [];

function acquire(): Worker {
  const w = idleWorkers.pop() ?? spawn();
  w.ref();
  return w;
}

function release(w: Worker): void {
  w.removeAllListeners("message");
  w.removeAllListeners("error");
  w.removeAllListeners("exit");
  // A pooled worker that dies later leaves the pool quietly.
  w.once("exit", () => {
    const i = idleWorkers.indexOf(w);
    if (i >= 0) idleWorkers.splice(i, 1);
  });
  w.unref();
  idleWorkers.push(w);
}

/** Terminate the idle workers kept for later runs (they never keep the process alive anyway). */
export async function closeIdleWorkers(): Promise<void> {
  const ws = idleWorkers.splice(0);
  await Promise.all(ws.map((w) => w.terminate()));
}

/**
 * Start workers ahead of a parallel run, so that their start-up (loading the library: about
 * a second each through tsx on a small machine) overlaps the caller's other work instead of
 * the first run: fills the idle pool up to `n` (default and at most `availableParallelism()`)
 * and resolves, with the pool's size, once each new worker has loaded (and imported
 * `kernelModule`, the run's `kernelModule` option, when given).
 * @example
 * // fragment: `spec`, `loadData` and `mcmc` are the reader's
 * const warming = prewarmMcmcWorkers(2, spec); // spec: the run's kernelModule; while the data load
 * const data = await loadData();
 * await warming;
 * await mcmc.run(key(0), data); // chainMethod "parallel": no cold start
 */
export async function prewarmWorkers(
  n = availableParallelism(),
  kernelModule?: KernelModuleSpec,
): Promise<number> {
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`prewarmMcmcWorkers: n must be a non-negative integer, got ${n}`);
  const want = Math.max(0, Math.min(n, availableParallelism()) - idleWorkers.length);
  await Promise.all(
    Array.from(
      { length: want },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = spawn();
          let preloading = false;
          w.on("message", (m: WorkerMessage) => {
            if (m.type === "error") {
              void w.terminate();
              reject(new Error(`prewarmMcmcWorkers: ${m.message}`));
              return;
            }
            if (m.type !== "ready") return;
            if (kernelModule && !preloading) {
              preloading = true; // loaded: now import the kernel's module too
              w.postMessage({ preload: kernelModule } satisfies WorkerPreload);
              return;
            }
            release(w);
            resolve();
          });
          w.once("error", (e) => {
            void w.terminate();
            reject(e);
          });
        }),
    ),
  );
  return idleWorkers.length;
}

function runOne(
  job: WorkerJob,
  chain: number,
  onProgress: (it: number, rec: StepRecord) => void,
  signal?: AbortSignal,
): Promise<ChainResult> {
  return new Promise((resolve, reject) => {
    const w = acquire();
    let settled = false;
    let last = 0;
    const onAbort = () =>
      finish(() =>
        reject(
          new Error(`MCMC: run aborted in chain ${chain} after iteration ${last}`, { cause: signal?.reason }),
        ),
      );
    const finish = (f: () => void, keep = false) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (keep) release(w);
      else void w.terminate();
      f();
    };
    signal?.addEventListener("abort", onAbort);
    w.on("message", (m: WorkerMessage) => {
      if (m.type === "ready") return; // a fresh worker finished loading
      if (m.type === "progress") {
        last = m.iteration + 1;
        onProgress(m.iteration, m.rec);
      } else if (m.type === "done") finish(() => resolve(m.result), true);
      else finish(() => reject(new Error(`parallel MCMC worker failed: ${m.message}`)));
    });
    w.on("error", (e) => finish(() => reject(e)));
    w.on("exit", (code) =>
      finish(() => reject(new Error(`parallel MCMC worker exited early with code ${code}`))),
    );
    if (signal?.aborted) onAbort();
    else w.postMessage(job);
  });
}

/**
 * Run one chain per key on worker threads (each on its own cpu backend), at most
 * `availableParallelism()` at a time; `signal` terminates the workers.
 * Model arguments must be structured-cloneable (plain data, typed arrays) or tensors (sent
 * as their values and rebuilt in each worker, see worker-args.ts). With `starts`,
 * chain `c` continues from `starts[c]` (no warmup). Each worker also computes its draws'
 * output-site values (deterministic sites included), so that work runs in parallel too.
 */
export async function runChainsParallel(
  spec: KernelModuleSpec,
  keys: readonly Key[],
  plan: ChainPlan,
  ro: RunOptions,
  onProgress: (chain: number, it: number, rec: StepRecord) => void,
  starts?: readonly ChainState[],
  signal?: AbortSignal,
): Promise<ChainResult[]> {
  const total = plan.numWarmup + plan.numSamples * plan.thinning;
  const every = Math.max(1, Math.floor(total / 100));
  const limit = Math.max(1, Math.min(keys.length, availableParallelism()));
  const results: ChainResult[] = new Array(keys.length);
  const args = await packArgs(ro.args ?? []);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < keys.length) {
      const c = next++;
      const job: WorkerJob = {
        spec,
        key: keys[c]!,
        plan,
        args,
        initParams: ro.initParams ? Array.from(ro.initParams) : undefined,
        progressEvery: every,
        from: starts?.[c],
      };
      results[c] = await runOne(job, c, (it, rec) => onProgress(c, it, rec), signal);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}
